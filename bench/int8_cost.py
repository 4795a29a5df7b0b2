"""What int8 costs in accuracy: OpenVINO int8 (NNCF post-training quantisation) against torch fp32.

`python -m bench.int8_cost --data-root R [--checkpoint C] [--calibration DIR]` loads the
checkpoint (default: the bundled demo model) as a torch fp32 Grounder and as an OpenVINO int8
one, calibrated on DIR (default: the synthetic scenes), evaluates both on the AGD20K-format test
set at R exactly as `evaluate` does (KLD, SIM, NSS, and the largest absolute difference of the
224 x 224 label maps), and compares every action's heat map on the first test images. What int8
gains in speed is in `python -m bench`, which times every backend side by side.
"""
import argparse
from pathlib import Path
import sys
from typing import Dict, List, Optional

import numpy as np
from torch.utils.data import DataLoader

from bench.report import write_json
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.default_model import DEMO_MODEL
from looptrans_core.evaluation import batch_metrics, chosen_label_maps, METRICS
from looptrans_core.grounder import Grounder
from looptrans_core.preprocess import to_device_uint8

PRECISIONS = ('fp32', 'int8')


def grounder_label_maps(grounder: Grounder, items: List[dict]) -> np.ndarray:
    """(B, 224, 224) label maps of `items`, as `evaluate` makes them, through `grounder`."""
    tensors = [to_device_uint8(item['image'], 'rgb', grounder.device) for item in items]
    return chosen_label_maps(grounder.raw_maps(tensors).float(), items)


def label_map_cost(grounders: Dict[str, Grounder], test_set: AGD20KTestSet,
                   batch_size: int = 16) -> Dict[str, float]:
    """Mean KLD/SIM/NSS of both Grounders and the max abs difference of their label maps."""
    values: Dict[str, List[List[float]]] = {name: [] for name in grounders}
    max_diff = 0.0
    for items in DataLoader(test_set, batch_size=batch_size, collate_fn=list):
        preds = {name: grounder_label_maps(grounder, items)
                 for name, grounder in grounders.items()}
        max_diff = max(max_diff, float(np.abs(preds['fp32'] - preds['int8']).max()))
        for name, pred in preds.items():
            values[name] += [[m[key] for key in METRICS]
                             for _, m in batch_metrics(pred, items, None)]
    result = {'images': len(test_set), 'label_map_max_abs_diff': max_diff}
    for name, rows in values.items():
        for key, mean in zip(METRICS, np.mean(rows, axis=0)):
            result[f'{key}_{name}'] = float(mean)
    for key in METRICS:
        result[f'{key}_change'] = result[f'{key}_int8'] - result[f'{key}_fp32']
    return result


def heatmap_cost(grounders: Dict[str, Grounder], test_set: AGD20KTestSet,
                 images: int = 8) -> float:
    """Max abs difference of every action's heat map over the first `images` test images."""
    diff = 0.0
    for index in range(min(images, len(test_set))):
        image = test_set[index]['image']
        fp32, int8 = (grounders[name].ground(image) for name in PRECISIONS)
        diff = max(diff, max(float(np.abs(fp32[a].heatmap - int8[a].heatmap).max())
                             for a in fp32))
    return diff


def int8_cost(checkpoint: Path, data_root: Path, divide: str, calibration: Optional[Path],
              threads: Optional[int]) -> Dict[str, object]:
    """Every int8 figure: metric, label-map and heat-map changes on the test set."""
    grounders = {
        'fp32': Grounder.from_checkpoint(checkpoint, 'cpu', threads=threads),
        'int8': Grounder.from_checkpoint(checkpoint, 'cpu', 'int8', backend='openvino',
                                         calibration=calibration, threads=threads)}
    test_set = AGD20KTestSet(data_root, divide)
    result: Dict[str, object] = {
        'checkpoint': str(checkpoint), 'backbone': grounders['fp32'].model.backbone_config.name,
        'data_root': str(data_root), 'divide': divide,
        'calibration': str(calibration) if calibration else 'synthetic scenes'}
    result.update(label_map_cost(grounders, test_set))
    result['heatmap_max_abs_diff'] = heatmap_cost(grounders, test_set)
    return result


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.int8_cost', description=__doc__)
    parser.add_argument('--checkpoint', type=Path, default=DEMO_MODEL)
    parser.add_argument('--data-root', required=True, type=Path,
                        help='AGD20K-format root, e.g. from `python -m looptrans_core synth`')
    parser.add_argument('--divide', default='Seen', choices=('Seen', 'Unseen'))
    parser.add_argument('--calibration', type=Path, default=None,
                        help='folder of calibration images (default: synthetic scenes)')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads')
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_args_parser().parse_args(argv)
    result = int8_cost(args.checkpoint, args.data_root, args.divide, args.calibration,
                       args.threads)
    for key, value in result.items():
        print(f'{key:36s} {value:.6g}' if isinstance(value, float) else f'{key:36s} {value}')
    write_json(args.json, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
