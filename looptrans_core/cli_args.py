"""Command-line arguments that several `python -m looptrans_core` commands share."""
import argparse
from pathlib import Path

from looptrans_core.device import backend_precisions_text, BACKENDS, INFERENCE_PRECISIONS

DEVICE_HELP = "'auto', 'cpu', 'cuda' or 'cuda:N'"


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--device` (default 'auto')."""
    parser.add_argument('--device', default='auto', help=DEVICE_HELP)


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--backend`, `--precision` and `--calibration`: the Grounder's arguments."""
    parser.add_argument('--backend', default='torch', choices=BACKENDS,
                        help='torch (CPU or CUDA) or openvino (CPU; the network is converted on '
                             'first use and cached, see docs/export.md)')
    parser.add_argument('--precision', default='fp32', choices=INFERENCE_PRECISIONS,
                        help=f'inference precision ({backend_precisions_text()})')
    parser.add_argument('--calibration', type=Path, default=None,
                        help='openvino int8 only: a folder of images to calibrate on (default: '
                             'synthetic scenes)')
