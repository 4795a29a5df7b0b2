"""`demo`: draw a synthetic scene, ground two actions with the bundled demo model, write overlays.

The bundled model (`looptrans_core/assets/demo_model.safetensors`) is a tiny network trained on
synthetic data only; rebuild it with `make demo-model`. It shows the pipeline, not real accuracy.
"""
import argparse
from pathlib import Path
import sys

import cv2
import numpy as np

from looptrans_core.cli_args import add_device_argument
from looptrans_core.commands.ground import write_image, write_result
from looptrans_core.data.synth_scene import render_scene
from looptrans_core.default_model import load_default_grounder
from looptrans_core.overview import overview_grid
from looptrans_core.visualize import COLORMAPS

COMMAND = 'demo'
HELP = 'ground two actions on a generated scene with the bundled synthetic-data demo model'
DEMO_OBJECT = 'knife'
SCENE_SIZE = (360, 480)
"""(height, width) of the drawn scene."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `demo`."""
    parser.add_argument('--out', type=Path, default=Path('demo_output'),
                        help='output folder (default: demo_output)')
    parser.add_argument('--checkpoint', type=Path,
                        help='checkpoint to use instead of the bundled demo model')
    parser.add_argument('--action', action='append', default=None,
                        help='action to ground (repeat; default: two the drawn object affords)')
    parser.add_argument('--object', default=DEMO_OBJECT, help='synthetic object to draw')
    parser.add_argument('--seed', type=int, default=0, help='scene seed')
    add_device_argument(parser)
    parser.add_argument('--colormap', default='jet', choices=sorted(COLORMAPS))
    parser.add_argument('--alpha', type=float, default=0.5, help='overlay colour-map weight')


def run(args: argparse.Namespace) -> int:
    """Draw the scene, ground, write `scene.png` and per-action overlays, print the peaks."""
    grounder, warnings = load_default_grounder(args.checkpoint, args.device)
    for warning in warnings:
        print(f'WARNING: {warning}', file=sys.stderr)
    print(f'model: {grounder.metadata.description if grounder.metadata else "random weights"} '
          f'(method {grounder.method})')
    image_rgb, afforded = render_scene(np.random.default_rng(args.seed), SCENE_SIZE, args.object)
    actions = grounder.validate_actions(args.action or
                                        [a for a in afforded if a in grounder.affordances][:2])
    args.out.mkdir(parents=True, exist_ok=True)
    image_bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    write_image(args.out / 'scene.png', image_bgr)
    results = grounder.ground(image_rgb, actions)
    overlays = []
    for action, result in results.items():
        overlays.append(write_result(args.out / f'scene_{action}', image_bgr, result, args))
        peaks = ', '.join(f'({p.u:.0f}, {p.v:.0f}) {p.score:.2f}' for p in result.peaks)
        print(f'{action}: peaks (u, v) score: {peaks or "none above threshold"}')
    overview = args.out / 'overview.png'
    tiles = [image_bgr, *overlays]
    write_image(overview, overview_grid(tiles, [f'input: a synthetic {args.object}', *actions],
                                        columns=min(3, len(tiles))))
    print(f"open {overview}: the input and every action's overlay (colour map: where the "
          'action is afforded, red = most; circles: the best interaction points). Per action '
          f'in {args.out}: scene_<action>_overlay.png, scene_<action>.npy (heat map), '
          'scene_<action>_peaks.json')
    return 0
