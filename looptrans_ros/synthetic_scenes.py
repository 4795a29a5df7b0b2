"""Frames and intrinsics for the synthetic camera, from the training data generator."""
from typing import Dict, List, Tuple

import numpy as np

from looptrans_core import render_scene

FOCAL_PX = 525.0
"""Focal length of the simulated pinhole camera (a Kinect-like 640 x 480 camera)."""


class SceneSource:
    """Yields RGB frames, drawing a new random scene every `frames_per_scene` frames."""

    def __init__(self, size: Tuple[int, int] = (480, 640), seed: int = 0,
                 frames_per_scene: int = 20) -> None:
        if frames_per_scene < 1:
            raise ValueError(f'frames_per_scene must be >= 1, got {frames_per_scene}')
        self.size = size
        self.frames_per_scene = frames_per_scene
        self._rng = np.random.default_rng(seed)
        self._count = 0
        self._image = None
        self.affordances: Tuple[str, ...] = ()

    def next_frame(self) -> np.ndarray:
        """Return the next H x W x 3 uint8 RGB frame."""
        if self._count % self.frames_per_scene == 0:
            self._image, self.affordances = render_scene(self._rng, self.size)
        self._count += 1
        return self._image


def camera_matrices(size: Tuple[int, int]) -> Dict[str, List[float]]:
    """Return CameraInfo's d, k, r and p for an undistorted camera of (height, width) pixels."""
    cx, cy = (size[1] - 1) / 2.0, (size[0] - 1) / 2.0
    return {'d': [0.0] * 5, 'k': [FOCAL_PX, 0.0, cx, 0.0, FOCAL_PX, cy, 0.0, 0.0, 1.0],
            'r': [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            'p': [FOCAL_PX, 0.0, cx, 0.0, 0.0, FOCAL_PX, cy, 0.0, 0.0, 0.0, 1.0, 0.0]}
