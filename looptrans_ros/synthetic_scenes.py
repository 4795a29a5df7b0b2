"""Frames, depth and intrinsics for the synthetic camera, from the training data generator."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from looptrans_core import random_scene
from looptrans_ros.projection import Intrinsics
from looptrans_ros.rotations import homogeneous, matrix_from_quaternion, Quaternion, \
    quaternion_from_matrix
from looptrans_ros.tabletop import TabletopGeometry

FOCAL_PX = 525.0
"""Focal length of the simulated pinhole camera (a Kinect-like 640 x 480 camera)."""


@dataclass(frozen=True)
class CameraPose:
    """A camera's optical frame (x right, y down, z ahead) in its parent frame.

    Attributes:
        parent_frame: e.g. base_link.
        child_frame: the optical frame the images are stamped with.
        translation: (x, y, z) metres of the camera in the parent frame.
        quaternion: (x, y, z, w) of the rotation parent <- optical.
    """

    parent_frame: str
    child_frame: str
    translation: Tuple[float, float, float]
    quaternion: Quaternion

    @classmethod
    def looking_down(cls, parent_frame: str, child_frame: str, height_m: float,
                     pitch_deg: float) -> 'CameraPose':
        """Return a camera `height_m` above the parent's origin, looking down along its +x axis.

        The optical axis is `pitch_deg` below the horizontal, with no roll: image right is the
        parent's -y axis.
        """
        pitch = np.radians(pitch_deg)
        ahead = [np.cos(pitch), 0.0, -np.sin(pitch)]
        right = [0.0, -1.0, 0.0]
        down = np.cross(ahead, right)
        rotation = np.column_stack([right, down, ahead])
        return cls(parent_frame, child_frame, (0.0, 0.0, float(height_m)),
                   quaternion_from_matrix(rotation))

    def matrix(self) -> np.ndarray:
        """Return the 4 x 4 transform parent <- optical."""
        return homogeneous(matrix_from_quaternion(self.quaternion), self.translation)

    def static_transform_arguments(self) -> List[str]:
        """Return the command line of tf2_ros static_transform_publisher for this pose."""
        names = ['--x', '--y', '--z', '--qx', '--qy', '--qz', '--qw']
        values = [*self.translation, *self.quaternion]
        return [text for name, value in zip(names, values) for text in (name, repr(value))] + [
            '--frame-id', self.parent_frame, '--child-frame-id', self.child_frame]


SIM_CAMERA_POSE = CameraPose.looking_down('base_link', 'camera_optical_frame', height_m=0.75,
                                          pitch_deg=50.0)
"""Where the synthetic camera is: 0.75 m above base_link's origin on the table (the plane
z = 0), looking along base_link's +x axis, 50 degrees down; the launch file publishes it."""


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
