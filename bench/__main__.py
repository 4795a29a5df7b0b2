"""`python -m bench [--quick] [--rounds N] [--device cpu|cuda] [--threads N] [--json OUT]`.

Times, in interleaved rounds in one process, the published pipeline and ours on torch fp32 /
bf16 and OpenVINO fp32 / bf16 / int8, one action and all 36, end to end (frame in, peaks and
one heat map out), and the network alone beside ONNX Runtime fp32; prints the machine's facts,
min and median of every figure, the ratios per round and the targets. The node at 30 and
100 Hz input, per backend, is `python -m bench.ros_node --backends ...` (needs ROS 2).
"""
import argparse
import json
from pathlib import Path
import sys
from typing import List, Optional

from bench.report import write_json
from bench.run import NAMES, run_benchmark

TARGETS = (
    ('openvino_fp32_over_torch_fp32', 'median', 0.6),
    ('openvino_int8_over_torch_fp32', 'median', 0.35),
    *((f'{name}_all_over_one', 'median', 1.05) for name in NAMES),
    ('torch_fp32_over_published', 'of_mins', 1.0),
)
"""(ratio, which summary of it, upper limit): issue 11's targets."""
MAP_TOLERANCE = ('openvino_fp32_heatmap_max_abs_diff', 1e-4)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of torch and OpenVINO (default: theirs)')
    parser.add_argument('--rounds', type=int, default=None, help='interleaved rounds (9)')
    parser.add_argument('--calls', type=int, default=5,
                        help="calls per figure and round, their median is the round's time")
    parser.add_argument('--quick', action='store_true',
                        help="3 rounds, without the published pipeline's 36 forwards")
    parser.add_argument('--batch', type=int, default=8, help='images per batched call')
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def print_report(results: dict) -> None:
    """Machine, figures (min / median), ratios per round, accuracy, then the targets."""
    print(json.dumps(results['machine'], indent=1))
    print(f"backbone {results['backbone']} on {results['device']}, {results['image_size']}, "
          f"{results['rounds']} rounds of {results['calls_per_round']} calls per figure; "
          f"skipped: {results['skipped'] or 'none'}")
    print(f"{'figure':34s} {'min ms':>9s} {'median ms':>10s}")
    for name, figure in results['figures'].items():
        print(f"{name:34s} {figure['min_ms']:9.2f} {figure['median_ms']:10.2f}")
    print(f"{'ratio':38s} {'min':>6s} {'median':>7s} {'of mins':>8s}  per round")
    for name, ratio in results['ratios'].items():
        rounds = ' '.join(f'{value:.2f}' for value in ratio['per_round'])
        print(f"{name:38s} {ratio['min']:6.3f} {ratio['median']:7.3f} {ratio['of_mins']:8.3f}"
              f'  {rounds}')
    for name, value in results['accuracy'].items():
        print(f'{name:38s} {value:.3g}')
    for name in ('stages_torch_fp32_ms', 'metrics'):
        print(name, ' '.join(f'{k}={v:.2f}' for k, v in results[name].items()))
    for name, statistic, limit in TARGETS:
        if name in results['ratios']:
            value = results['ratios'][name][statistic]
            verdict = 'ok' if value <= limit else 'MISS'
            print(f'target {name:34s} {statistic:8s} {value:6.3f} <= {limit:<5} {verdict}')
    name, limit = MAP_TOLERANCE
    if name in results['accuracy']:
        value = results['accuracy'][name]
        print(f"target {name:34s} {'':8s} {value:6.1e} <= {limit:<5} "
              f"{'ok' if value <= limit else 'MISS'}")


def main(argv: Optional[List[str]] = None) -> int:
    args = get_args_parser().parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 9)
    results = run_benchmark(args.device, args.threads, rounds, not args.quick, args.batch,
                            calls=args.calls)
    print_report(results)
    write_json(args.json, results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
