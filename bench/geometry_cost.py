"""What the 3D outputs cost per frame: the cloud and the approach normals, against grounding.

`python -m bench.geometry_cost [--rounds N] [--threads N] [--json OUT]` grounds one action of
synthetic 640 x 480 frames with the bundled demo model on the CPU (Grounder.ground: the frame's
model time, heat map and peaks) and, in the same rounds of the same process, computes what the
node adds with depth (spatial.spatial_outputs: peak positions, an approach fit per peak, the
cloud at the default threshold and stride, all put through a transform) on the frame's own
depth from the synthetic camera. Two heat maps: the action's own, and one hot everywhere (the
largest cloud there can be). Prints medians, the ratios per round and the target (10 %).
"""
import argparse
import json
from pathlib import Path
import statistics
import sys
from typing import Dict, List, Optional

import numpy as np
import torch

from bench.machine import machine_facts
from bench.report import write_json
from bench.timing import stage_medians
from looptrans_core import load_default_grounder
from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.spatial import spatial_outputs
from looptrans_ros.synthetic_scenes import SceneSource

SIZE = (480, 640)
ACTION = 'hold'
CLOUD_RULE = (0.5, 4)
"""cloud_threshold and cloud_stride: the node's defaults."""
TARGET = 0.10
"""The 3D outputs of a frame may cost at most this fraction of the frame's grounding time."""


def one_round(grounder, source: SceneSource, repeats: int) -> Dict[str, float]:
    """Median ms of grounding and of the 3D outputs (own map, hot map) on the next scene."""
    image = source.next_frame()
    depth_m = source.depth_mm().astype(np.float32) / 1000.0
    result = grounder.ground(image, ACTION)[ACTION]
    hot = np.ones(SIZE, np.float32)
    matrix = SIM_CAMERA_POSE.matrix()

    def spatial(heatmap: np.ndarray):
        return spatial_outputs(heatmap, result.peaks, depth_m, source.intrinsics, CLOUD_RULE,
                               SIM_CAMERA_POSE.parent_frame, matrix)

    times = stage_medians({'frame': lambda: grounder.ground(image, ACTION),
                           'spatial': lambda: spatial(result.heatmap),
                           'spatial_hot': lambda: spatial(hot)}, repeats)
    times['peaks'] = len(result.peaks)
    times['cloud_points'] = len(spatial(result.heatmap).cloud)
    times['cloud_points_hot'] = len(spatial(hot).cloud)
    return times


def geometry_cost(rounds: int, repeats: int, threads: Optional[int]) -> Dict[str, object]:
    """Every round's medians, the ratios per round and their medians, the machine's facts."""
    if threads:
        torch.set_num_threads(threads)
    grounder, _ = load_default_grounder('', 'cpu')
    source = SceneSource(SIZE, seed=0, frames_per_scene=1)
    one_round(grounder, source, 1)  # warm-up: torch's first calls, thread pools
    per_round: List[Dict[str, float]] = [one_round(grounder, source, repeats)
                                         for _ in range(rounds)]
    ratios = {name: [r[f'{name}_ms'] / r['frame_ms'] for r in per_round]
              for name in ('spatial', 'spatial_hot')}
    return {'machine': machine_facts(), 'action': ACTION, 'size': list(SIZE),
            'cloud_rule': list(CLOUD_RULE), 'rounds': per_round,
            'ratios': {f'{name}_over_frame': {'per_round': values,
                                              'median': statistics.median(values),
                                              'max': max(values)}
                       for name, values in ratios.items()},
            'target': TARGET}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.geometry_cost', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rounds', type=int, default=5, help='scenes, one round each')
    parser.add_argument('--repeats', type=int, default=10, help='timed runs per stage a round')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--json', type=Path, default=None, help='also write the results here')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run, print the results and the verdict; 0 when the median ratios meet the target."""
    args = get_args_parser().parse_args(argv)
    results = geometry_cost(args.rounds, args.repeats, args.threads)
    write_json(args.json, results)
    print(json.dumps(results, indent=2))
    met = all(r['median'] <= TARGET for r in results['ratios'].values())
    for name, ratio in results['ratios'].items():
        print(f'target {name} <= {TARGET}: median {ratio["median"]:.4f} '
              f'({"met" if ratio["median"] <= TARGET else "NOT met"})')
    return 0 if met else 1


if __name__ == '__main__':
    sys.exit(main())
