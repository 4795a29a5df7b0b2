"""`convert`: a published checkpoint (LoopTrans or LOCATE .pth) to our `.safetensors` format."""
import argparse
from pathlib import Path

from looptrans_core.checkpoints import load_checkpoint, save_checkpoint

COMMAND = 'convert'
HELP = 'convert a published LoopTrans or LOCATE .pth to our .safetensors (same maps)'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `convert`."""
    parser.add_argument('--checkpoint', required=True, type=Path,
                        help='published LoopTrans or LOCATE .pth (or one of our files)')
    parser.add_argument('--out', required=True, type=Path, help='the .safetensors file to write')


def run(args: argparse.Namespace) -> int:
    """Load the checkpoint safely, write its weights and metadata, say what it holds."""
    if args.out.suffix != '.safetensors':
        raise ValueError(f'--out must name a .safetensors file, got {args.out}')
    model, metadata = load_checkpoint(args.checkpoint)
    save_checkpoint(model, args.out, metadata)
    print(f'wrote {args.out}: method {model.method}, {metadata.divide}, '
          f'{len(metadata.affordances)} affordances, backbone {metadata.backbone}')
    return 0
