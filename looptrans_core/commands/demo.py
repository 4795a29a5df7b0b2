"""`demo`: draw a synthetic scene, ground two actions with the bundled demo model, write overlays.

The bundled model (`looptrans_core/assets/demo_model.safetensors`) is a tiny network trained on
synthetic data only; rebuild it with `make demo-model`. It shows the pipeline, not real accuracy.
"""
import argparse
from pathlib import Path
import sys

import cv2
import numpy as np

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.commands.ground import write_result
from looptrans_core.data.synth_scene import render_scene
from looptrans_core.grounder import Grounder
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.visualize import COLORMAPS

COMMAND = 'demo'
HELP = 'ground two actions on a generated scene with the bundled synthetic-data demo model'
DEMO_MODEL = Path(__file__).resolve().parents[1] / 'assets' / 'demo_model.safetensors'
DEMO_OBJECT = 'knife'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `demo`."""
    parser.add_argument('--out', type=Path, default=Path('demo_output'),
                        help='output folder (default: demo_output)')
    parser.add_argument('--checkpoint', type=Path,
                        help=f'checkpoint to use instead of the bundled {DEMO_MODEL.name}')
    parser.add_argument('--action', action='append', default=None,
                        help='action to ground (repeat; default: two the drawn object affords)')
    parser.add_argument('--object', default=DEMO_OBJECT, help='synthetic object to draw')
    parser.add_argument('--seed', type=int, default=0, help='scene seed')
    parser.add_argument('--device', default='auto', help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--colormap', default='jet', choices=sorted(COLORMAPS))
    parser.add_argument('--alpha', type=float, default=0.5, help='overlay colour-map weight')


def run(args: argparse.Namespace) -> int:
    """Draw the scene, ground, write `scene.png` and per-action overlays, print the peaks."""
    grounder = load_grounder(args.checkpoint, args.device)
    image_rgb, afforded = render_scene(np.random.default_rng(args.seed), (360, 480), args.object)
    actions = grounder.validate_actions(args.action or
                                        [a for a in afforded if a in grounder.affordances][:2])
    args.out.mkdir(parents=True, exist_ok=True)
    image_bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(args.out / 'scene.png'), image_bgr)
    results = grounder.ground(image_rgb, actions)
    for action, result in results.items():
        write_result(args.out / f'scene_{action}', image_bgr, result, args)
        peaks = ', '.join(f'({p.u:.0f}, {p.v:.0f}) {p.score:.2f}' for p in result.peaks)
        print(f'{action}: peaks (u, v) score: {peaks or "none above threshold"}')
    print(f'wrote scene.png and overlays for {", ".join(actions)} to {args.out}')
    return 0


def load_grounder(checkpoint: Path, device: str) -> Grounder:
    """Load `checkpoint`, else the bundled model, else random weights with a loud warning."""
    path = checkpoint or DEMO_MODEL
    if checkpoint is not None or DEMO_MODEL.is_file():
        grounder = Grounder.from_checkpoint(path, device)
        print(f'model: {path} ({grounder.metadata.description})')
        return grounder
    print(f'WARNING: {DEMO_MODEL} is missing and no --checkpoint was given: using RANDOM '
          'WEIGHTS, so the heat maps mean nothing. Rebuild the demo model with '
          '`make demo-model`.', file=sys.stderr)
    return Grounder(LoopTrans(len(SEEN_AFFORDANCES), backbone='vit_tiny_test'), SEEN_AFFORDANCES,
                    device)
