"""Command-line arguments that several `python -m looptrans_core` commands share."""
import argparse
from pathlib import Path
from typing import Any

from looptrans_core.affordances import DIVIDES

DEVICE_HELP = "'auto', 'cpu', 'cuda' or 'cuda:N'"


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--device` (default 'auto')."""
    parser.add_argument('--device', default='auto', help=DEVICE_HELP)


def add_training_arguments(parser: argparse.ArgumentParser, out_file: str,
                           defaults: Any) -> None:
    """Add the data, output and optimisation arguments of a training command.

    `out_file` is the file the command writes into `--out`; `defaults` is the command's config
    dataclass instance, whose `epochs`, `batch_size`, `lr` and `seed` give the defaults.
    """
    parser.add_argument('--data-root', required=True, type=Path, help='AGD20K-format root')
    parser.add_argument('--divide', default='Seen', choices=sorted(DIVIDES))
    parser.add_argument('--out', required=True, type=Path,
                        help=f'output folder; the result goes to OUT/{out_file}')
    parser.add_argument('--epochs', type=int, default=defaults.epochs)
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--lr', type=float, default=defaults.lr)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    add_device_argument(parser)


def check_training_arguments(args: argparse.Namespace) -> None:
    """Raise ValueError unless `--epochs` and `--batch-size` are at least 1."""
    if args.epochs < 1 or args.batch_size < 1:
        raise ValueError(f'--epochs and --batch-size must be >= 1, got {args.epochs} and '
                         f'{args.batch_size}')
