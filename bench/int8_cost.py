"""What dynamic int8 quantisation of the backbone costs: map change, metric change, speed.

`python -m bench.int8_cost --checkpoint C --data-root R [--divide Seen] [--threads N]` loads the
checkpoint twice (fp32, and int8 as `Grounder(precision='int8')` quantises it), evaluates both
on the AGD20K-format test set at R exactly as `evaluate` does (KLD, SIM, NSS and the largest
absolute difference of the 224 x 224 label maps), compares every action's heat map from the
Grounder on the test images, then times one-action grounding of a 640 x 480 frame with the
published backbone (random weights) in fp32 and int8, interleaved, in the same process.
"""
import argparse
import copy
from pathlib import Path
import statistics
import sys
from typing import Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader

from bench.report import write_json
from bench.run import ACTION, make_model
from bench.timing import median_ms
from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.evaluation import batch_metrics, label_maps, METRICS
from looptrans_core.grounder import Grounder
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.speedups import quantize_backbone_int8

CPU = torch.device('cpu')


def label_map_cost(fp32: LoopTrans, int8: LoopTrans, test_set: AGD20KTestSet,
                   batch_size: int = 16) -> Dict[str, float]:
    """Mean KLD/SIM/NSS of both models and the max abs difference of their label maps."""
    values: Dict[str, List[List[float]]] = {'fp32': [], 'int8': []}
    max_diff = 0.0
    for items in DataLoader(test_set, batch_size=batch_size, collate_fn=list):
        preds = {name: label_maps(model, items, CPU, torch.float32)
                 for name, model in (('fp32', fp32), ('int8', int8))}
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


def heatmap_cost(fp32: Grounder, int8: Grounder, test_set: AGD20KTestSet,
                 images: int = 8) -> float:
    """Max abs difference of every action's Grounder heat map over the first `images`."""
    diff = 0.0
    for index in range(min(images, len(test_set))):
        image = test_set[index]['image']
        maps = fp32.ground(image), int8.ground(image)
        diff = max(diff, max(float(np.abs(maps[0][a].heatmap - maps[1][a].heatmap).max())
                             for a in maps[0]))
    return diff


def speed(backbone: str, affordances, threads: Optional[int],
          repeats: int) -> Dict[str, float]:
    """Median one-action ms on a 640 x 480 frame, fp32 and int8 interleaved, and their ratio."""
    model = make_model(backbone)
    grounders = {'fp32': Grounder(copy.deepcopy(model), affordances, 'cpu', threads=threads),
                 'int8': Grounder(model, affordances, 'cpu', 'int8', threads=threads)}
    image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    times: Dict[str, List[float]] = {name: [] for name in grounders}
    for _ in range(repeats):
        for name, grounder in grounders.items():
            times[name].append(median_ms(lambda: grounder.ground(image, [ACTION]), 1))
    result = {f'{backbone}_{name}_ms': statistics.median(t) for name, t in times.items()}
    result[f'{backbone}_int8_speedup'] = (result[f'{backbone}_fp32_ms']
                                          / result[f'{backbone}_int8_ms'])
    return result


def int8_cost(checkpoint: Path, data_root: Path, divide: str, threads: Optional[int],
              repeats: int, backbone: str = 'vit_small_patch16_224') -> Dict[str, object]:
    """Every int8 figure: metric and map changes on the test set, then speed on `backbone`."""
    fp32, metadata = load_checkpoint(checkpoint)
    fp32 = fp32.eval()
    int8 = quantize_backbone_int8(copy.deepcopy(fp32), CPU)
    test_set = AGD20KTestSet(data_root, divide)
    result: Dict[str, object] = {'checkpoint': str(checkpoint), 'backbone': metadata.backbone,
                                 'torch_threads': threads}
    result.update(label_map_cost(fp32, int8, test_set))
    result['heatmap_max_abs_diff'] = heatmap_cost(
        Grounder(fp32, metadata.affordances, 'cpu', threads=threads),
        Grounder(int8, metadata.affordances, 'cpu', threads=threads), test_set)
    result.update(speed(backbone, metadata.affordances, threads, repeats))
    return result


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.int8_cost', description=__doc__)
    parser.add_argument('--checkpoint', required=True, type=Path)
    parser.add_argument('--data-root', required=True, type=Path,
                        help='AGD20K-format root, e.g. from `python -m looptrans_core synth`')
    parser.add_argument('--divide', default='Seen', choices=('Seen', 'Unseen'))
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--repeats', type=int, default=9, help='timed calls per precision')
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_args_parser().parse_args(argv)
    result = int8_cost(args.checkpoint, args.data_root, args.divide, args.threads, args.repeats)
    for key, value in result.items():
        print(f'{key:36s} {value:.6g}' if isinstance(value, float) else f'{key:36s} {value}')
    write_json(args.json, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
