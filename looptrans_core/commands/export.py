"""`export`: the test-time network as ONNX or OpenVINO IR, with a model.json beside it."""
import argparse
from pathlib import Path
import sys

from looptrans_core.export import (check_export_request, DEFAULT_OPSET, export_model, FORMATS,
                                   load_for_export)

COMMAND = 'export'
HELP = 'export the network (normalised images in, raw maps out) to ONNX or OpenVINO IR'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export`."""
    parser.add_argument('--checkpoint', default='',
                        help='published .pth or our .safetensors checkpoint (default: the '
                             'bundled demo model)')
    parser.add_argument('--format', required=True, dest='export_format', metavar='FORMAT',
                        help=f'{" or ".join(FORMATS)}')
    parser.add_argument('--out', required=True, type=Path,
                        help='output folder; files of the same names in it are replaced')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help=f'ONNX opset (default {DEFAULT_OPSET}, what TensorRT 8.5 reads)')


def run(args: argparse.Namespace) -> int:
    """Check the request, load the model on the CPU, export it and say where the files are."""
    check_export_request(args.export_format, args.opset)
    grounder, source, warnings = load_for_export(args.checkpoint)
    for warning in warnings:
        print(f'WARNING: {warning}', file=sys.stderr)
    paths = export_model(grounder, args.export_format, args.out, source, args.opset)
    print(f'wrote {args.export_format} model ({grounder.method}) of {len(grounder.affordances)} '
          f'affordances from {source or "random weights"}:')
    for path in paths:
        print(f'  {path}')
    return 0
