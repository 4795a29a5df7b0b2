"""`synth`: write a synthetic dataset in the AGD20K layout."""
import argparse
from pathlib import Path
import time

from looptrans_core.affordances import DIVIDES
from looptrans_core.data.synth import generate, SIZES

COMMAND = 'synth'
HELP = 'write a synthetic AGD20K-format dataset (objects, people, GT heat maps)'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `synth`."""
    parser.add_argument('--out', required=True, type=Path,
                        help='dataset root; the split goes to OUT/<divide>')
    parser.add_argument('--divide', default='Seen', choices=sorted(DIVIDES))
    parser.add_argument('--size', default='small', choices=sorted(SIZES),
                        help='small: a few seconds, for tests; medium: for training runs')
    parser.add_argument('--seed', type=int, default=0, help='the same seed writes the same files')


def run(args: argparse.Namespace) -> int:
    """Generate the dataset and report what was written."""
    start = time.perf_counter()
    count = generate(args.out, args.divide, args.size, args.seed)
    print(f'wrote {count} images to {args.out / args.divide} '
          f'in {time.perf_counter() - start:.1f} s')
    return 0
