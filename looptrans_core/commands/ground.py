"""`ground`: heat maps, overlays and peaks for an image, a folder of images or a video."""
import argparse
from dataclasses import asdict
import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from looptrans_core.cli_args import add_backend_arguments, add_device_argument
from looptrans_core.grounder import Grounder
from looptrans_core.image_io import count_frames, iter_frames, MAX_IMAGE_PIXELS
from looptrans_core.peaks import PeakConfig
from looptrans_core.visualize import COLORMAPS, render_overlay

COMMAND = 'ground'
HELP = 'ground affordances on an image, a folder of images or a video'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `ground`."""
    parser.add_argument('--checkpoint', required=True, type=Path,
                        help='published .pth or our .safetensors checkpoint')
    parser.add_argument('--image', required=True, type=Path,
                        help='an image file, a folder of images, or a video file')
    parser.add_argument('--action', action='append', default=None,
                        help='affordance to ground (repeat for several; default: all)')
    parser.add_argument('--out', type=Path, default=Path('grounding_output'),
                        help='output folder (default: grounding_output)')
    add_device_argument(parser)
    add_backend_arguments(parser)
    parser.add_argument('--raw', action='store_true',
                        help='also write <stem>_raw.npy: raw maps, actions x rows x cols')
    parser.add_argument('--num-peaks', type=int, default=PeakConfig.num_peaks)
    parser.add_argument('--peak-threshold', type=float, default=PeakConfig.threshold)
    parser.add_argument('--peak-min-distance', type=int, default=PeakConfig.min_distance)
    parser.add_argument('--colormap', default='jet', choices=sorted(COLORMAPS))
    parser.add_argument('--alpha', type=float, default=0.5, help='overlay colour-map weight')
    parser.add_argument('--max-image-pixels', type=int, default=MAX_IMAGE_PIXELS,
                        help='largest image or video frame read (width x height); a file whose '
                             'header declares more is refused before decoding (default '
                             '%(default)s)')


def run(args: argparse.Namespace) -> int:
    """Ground every frame of the input and write overlays, maps and peaks."""
    peak_config = PeakConfig(args.num_peaks, args.peak_min_distance, args.peak_threshold)
    grounder = Grounder.from_checkpoint(args.checkpoint, args.device, args.precision, peak_config,
                                        backend=args.backend, calibration=args.calibration)
    actions = grounder.validate_actions(args.action)
    print(f'model: {grounder.method}, {len(grounder.affordances)} affordances, from '
          f'{args.checkpoint}')
    args.out.mkdir(parents=True, exist_ok=True)
    frames = iter_frames(args.image, args.max_image_pixels)
    for stem, image in tqdm(frames, total=count_frames(args.image), unit='image'):
        results = grounder.ground(image, actions, channel_order='bgr', return_raw=args.raw)
        for action, result in results.items():
            write_result(args.out / f'{stem}_{action}', image, result, args)
        if args.raw:
            np.save(args.out / f'{stem}_raw.npy', np.stack([results[a].raw for a in actions]))
    print(f'wrote results for {len(actions)} action(s) to {args.out}')
    return 0


def write_result(prefix: Path, image_bgr: np.ndarray, result,
                 args: argparse.Namespace) -> np.ndarray:
    """Write `<prefix>_overlay.png`, `<prefix>.npy` and `<prefix>_peaks.json`; return overlay."""
    overlay = render_overlay(image_bgr, result.heatmap, result.peaks, result.action,
                             args.alpha, args.colormap)
    write_image(Path(f'{prefix}_overlay.png'), overlay)
    np.save(f'{prefix}.npy', result.heatmap)
    peaks = [asdict(peak) for peak in result.peaks]
    Path(f'{prefix}_peaks.json').write_text(json.dumps({'action': result.action, 'peaks': peaks},
                                                       indent=2))
    return overlay


def write_image(path: Path, image_bgr: np.ndarray) -> None:
    """Write an image file, raising OSError where OpenCV only returns False."""
    if not cv2.imwrite(str(path), image_bgr):
        raise OSError(f'could not write {path}')
