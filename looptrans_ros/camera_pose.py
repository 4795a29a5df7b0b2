"""Where a camera is: its optical frame in a parent frame; the synthetic camera's pose."""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from looptrans_ros.rotations import homogeneous, matrix_from_quaternion, Quaternion, \
    quaternion_from_matrix


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


SIM_CAMERA_POSE = CameraPose.looking_down('base_link', 'camera_optical_frame', height_m=0.75,
                                          pitch_deg=50.0)
"""Where the synthetic camera is: 0.75 m above base_link's origin on the table (the plane
z = 0), looking along base_link's +x axis, 50 degrees down; the synthetic camera broadcasts it
as a static transform."""
