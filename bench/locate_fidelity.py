"""How close our LOCATE path is to the independent LOCATE reference, per split and backend.

`python -m bench.locate_fidelity [--seed N]`: for each split, seeded ViT-S/16 weights in
LOCATE's layout (`test/locate_reference.py`, saved as LOCATE's train.py saves them) are loaded
by `Grounder.from_checkpoint`; it prints the largest relative difference (max |ours - LOCATE|
over max |LOCATE|) of every affordance's raw map on the same preprocessed inputs, for torch fp32
and OpenVINO fp32 (and bf16 where the CPU has it), and, for torch fp32, on decoded images of
several sizes (our resize against LOCATE's PIL transform). Random weights: a trained model's
maps need not move the same.
"""
import argparse
import importlib
from pathlib import Path
import sys
import tempfile
from typing import Dict

import numpy as np
import torch

from bench.machine import cpu_info
from looptrans_core.data.synth_scene import render_scene
from looptrans_core.grounder import Grounder
from looptrans_core.openvino_backend import cpu_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test'))
locate_reference = importlib.import_module('locate_reference')
"""The tests' independent LOCATE reference (test/ is not a package)."""

SIZES = ((480, 640), (720, 1280), (300, 200), (131, 97))


def max_relative(ours, reference) -> float:
    """Largest absolute difference over the largest reference magnitude."""
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def split_figures(path: Path, net: torch.nn.Module, inputs: torch.Tensor) -> Dict[str, float]:
    """Return the differences of one split's file, per backend and on decoded images."""
    reference = net.ego_pred(inputs)
    figures = {}
    precisions = ['fp32'] + (['bf16'] if 'BF16' in cpu_capabilities() else [])
    for backend, precision in [('torch', 'fp32')] + [('openvino', p) for p in precisions]:
        grounder = Grounder.from_checkpoint(path, 'cpu', precision, backend=backend)
        with torch.inference_mode():
            figures[f'{backend}_{precision}'] = max_relative(grounder._forward(inputs), reference)
    grounder = Grounder.from_checkpoint(path, 'cpu')
    for size in SIZES:
        image = render_scene(np.random.default_rng(size[0]), size)[0]
        results = grounder.ground(image, return_raw=True)
        ours = np.stack([results[name].raw for name in grounder.affordances])
        expected = net.ego_pred(locate_reference.published_input(image))[0]
        figures[f'decoded_{size[0]}x{size[1]}'] = max_relative(ours, expected)
    return figures


def main(argv=None) -> int:
    """Measure both splits and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args(argv)
    print(f'cpu: {cpu_info().get("model name", "unknown")}')
    inputs = torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(args.seed))
    for split, names in (('Seen', locate_reference.SEEN), ('Unseen', locate_reference.UNSEEN)):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / 'best_model.pth'
            net = locate_reference.save_locate_file(path, len(names), args.seed)
            for name, value in split_figures(path, net, inputs).items():
                print(f'{split:6s} {name:22s} max relative difference {value:.2e}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
