"""Command-line arguments that several `python -m looptrans_core` commands share."""
import argparse

DEVICE_HELP = "'auto', 'cpu', 'cuda' or 'cuda:N'"


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--device` (default 'auto')."""
    parser.add_argument('--device', default='auto', help=DEVICE_HELP)
