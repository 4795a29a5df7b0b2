"""Frames, depth and intrinsics for the synthetic camera, from the training data generator.

The camera is at camera_pose.SIM_CAMERA_POSE (imported here too, for the tests).
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

from looptrans_core import random_scene
from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.projection import Intrinsics
from looptrans_ros.tabletop import TabletopGeometry

FOCAL_PX = 525.0
"""Focal length of the simulated pinhole camera (a Kinect-like 640 x 480 camera)."""


class SceneSource:
    """Yields RGB frames, drawing a new random scene every `frames_per_scene` frames.

    `geometry` is the 3D ground truth of the last frame (tabletop.TabletopGeometry, seen by a
    camera at SIM_CAMERA_POSE with `camera_matrices` intrinsics); `depth_mm()` its depth image.
    """

    def __init__(self, size: Tuple[int, int] = (480, 640), seed: int = 0,
                 frames_per_scene: int = 20) -> None:
        if frames_per_scene < 1:
            raise ValueError(f'frames_per_scene must be >= 1, got {frames_per_scene}')
        self.size = size
        self.frames_per_scene = frames_per_scene
        self.intrinsics = Intrinsics.from_k(camera_matrices(size)['k'])
        self._rng = np.random.default_rng(seed)
        self._count = 0
        self._image = None
        self._depth_mm: Optional[np.ndarray] = None
        self.geometry: Optional[TabletopGeometry] = None
        self.affordances: Tuple[str, ...] = ()

    def next_frame(self) -> np.ndarray:
        """Return the next H x W x 3 uint8 RGB frame."""
        if self._count % self.frames_per_scene == 0:
            scene = random_scene(self._rng, self.size)
            self._image, self.affordances = scene.image, scene.affordances
            self.geometry = TabletopGeometry.build(scene.object_mask, self.intrinsics,
                                                   SIM_CAMERA_POSE.matrix())
            self._depth_mm = self.geometry.depth_mm()
        self._count += 1
        return self._image

    def depth_mm(self) -> np.ndarray:
        """Return the uint16 depth in millimetres of the last frame, aligned to it."""
        if self._depth_mm is None:
            raise RuntimeError('depth_mm() is the depth of the last frame: call next_frame()')
        return self._depth_mm


def camera_matrices(size: Tuple[int, int]) -> Dict[str, List[float]]:
    """Return CameraInfo's d, k, r and p for an undistorted camera of (height, width) pixels."""
    cx, cy = (size[1] - 1) / 2.0, (size[0] - 1) / 2.0
    return {'d': [0.0] * 5, 'k': [FOCAL_PX, 0.0, cx, 0.0, FOCAL_PX, cy, 0.0, 0.0, 1.0],
            'r': [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            'p': [FOCAL_PX, 0.0, cx, 0.0, 0.0, FOCAL_PX, cy, 0.0, 0.0, 0.0, 1.0, 0.0]}
