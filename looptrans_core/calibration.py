"""Calibration images for int8 post-training quantisation: a folder of images, or synthetic scenes.

NNCF measures the activation ranges of the network on these images; the quantised model is as
good as they are like the frames it will see. Real frames from the robot's camera are best; the
synthetic scenes (`render_scene`) are the default so that int8 works out of the box.
"""
from dataclasses import dataclass
import hashlib
from pathlib import Path
from typing import Callable, List, Optional, Union

import cv2
import numpy as np

from looptrans_core.data.synth_scene import render_scene
from looptrans_core.image_io import folder_images, read_image_bgr

SYNTHETIC_IMAGES = 64
"""Synthetic scenes drawn when no calibration folder is given."""
SYNTHETIC_SEED = 0
MAX_FOLDER_IMAGES = 300
"""At most this many images of a folder are used (sorted by name): NNCF's default subset size."""


@dataclass(frozen=True)
class CalibrationSet:
    """Images to calibrate on, read only when a model is quantised.

    Attributes:
        identity: what the images are, for a cache key: the sha256 of the files' bytes, or the
            synthetic recipe and the hash of its first scene (which changes with the generator).
        load: returns the H x W x 3 uint8 RGB images.
    """

    identity: str
    load: Callable[[], List[np.ndarray]]


def calibration_set(source: Optional[Union[str, Path]] = None) -> CalibrationSet:
    """Return the images of the folder `source`, or synthetic scenes when `source` is empty.

    Raises:
        ValueError: `source` is not a folder, or holds no image files.
        ImageFormatError: an image file cannot be decoded (the message names it).
    """
    if not source:
        return synthetic_set()
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise ValueError(f'calibration {folder} is not a folder; pass a folder of images (e.g. '
                         'frames from your camera), or none for synthetic scenes')
    paths = folder_images(folder)[:MAX_FOLDER_IMAGES]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return CalibrationSet(f'folder-{digest.hexdigest()[:16]}-{len(paths)}',
                          lambda: [cv2.cvtColor(read_image_bgr(path), cv2.COLOR_BGR2RGB)
                                   for path in paths])


def synthetic_set(count: int = SYNTHETIC_IMAGES, seed: int = SYNTHETIC_SEED) -> CalibrationSet:
    """`count` seeded synthetic egocentric scenes at 480 x 640."""
    first = hashlib.sha256(synthetic_scenes(1, seed)[0].tobytes()).hexdigest()[:16]
    return CalibrationSet(f'synthetic-{count}-seed{seed}-{first}',
                          lambda: synthetic_scenes(count, seed))


def synthetic_scenes(count: int, seed: int) -> List[np.ndarray]:
    """Return the first `count` scenes of the seeded synthetic scene stream."""
    rng = np.random.default_rng(seed)
    return [render_scene(rng)[0] for _ in range(count)]
