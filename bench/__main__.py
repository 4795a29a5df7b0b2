"""`python -m bench [--device cpu|cuda] [--quick] [--json OUT]`: speed vs the published way.

The node itself, on real ROS 2 at 30 and 100 Hz, is measured by `python -m bench.ros_node`.
"""
import argparse
from pathlib import Path
import sys
from typing import List, Optional

from bench.report import write_json
from bench.run import run_benchmark
from looptrans_core.device import INFERENCE_PRECISIONS

TARGETS = (('all_over_one', 1.1), ('one_over_baseline_one', 0.9),
           ('one_over_floor_plus_heads', 1.15))


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--precision', default='fp32', choices=INFERENCE_PRECISIONS)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repeats (about a minute on a 2-core CPU)')
    parser.add_argument('--batch', type=int, default=8, help='images per batched call')
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def print_table(results: dict) -> None:
    """Figures, then the issue's targets with pass/miss."""
    for key, value in results.items():
        shown = f'{value:10.2f}' if isinstance(value, float) else f'{value!s:>10}'
        print(f'{key:28s} {shown}')
    for key, limit in TARGETS:
        verdict = 'ok' if results[key] <= limit else 'MISS'
        print(f'target {key:21s} {results[key]:6.3f} <= {limit:<5} {verdict}')
    # Like for like: our NSS against the published per-pixel-loop NSS. metrics_speedup (all
    # three metrics against that loop alone) is printed above for the record.
    print(f"target nss_speedup           {results['nss_speedup']:6.1f} >= 50   "
          f"{'ok' if results['nss_speedup'] >= 50 else 'MISS'}")


def main(argv: Optional[List[str]] = None) -> int:
    args = get_args_parser().parse_args(argv)
    repeats = 5 if args.quick else 15
    results = run_benchmark(args.device, args.precision, args.threads, repeats,
                            1 if args.quick else 3, args.batch)
    print_table(results)
    write_json(args.json, results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
