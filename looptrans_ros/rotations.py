"""Rotation matrices and quaternions (x, y, z, w), the order geometry_msgs/Quaternion uses.

Written out rather than imported: looptrans_ros's ROS-free modules need numpy only, and the
ROS-side helpers (tf_transformations) are not part of a plain Jazzy install.
"""
from typing import Sequence, Tuple

import numpy as np

Quaternion = Tuple[float, float, float, float]


def quaternion_from_matrix(rotation: np.ndarray) -> Quaternion:
    """Return the unit quaternion (x, y, z, w), w >= 0, of a 3 x 3 rotation (Shepperd)."""
    m = np.asarray(rotation, dtype=np.float64)
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(1.0 + trace)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s,
             0.25 * s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0] * 4
        q[i] = 0.25 * s
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
        q[3] = (m[k, j] - m[j, k]) / s
    q = np.array(q) / np.linalg.norm(q)
    q = -q if q[3] < 0 else q
    return tuple(float(x) for x in q)


def matrix_from_quaternion(quaternion: Sequence[float]) -> np.ndarray:
    """Return the 3 x 3 rotation of a quaternion (x, y, z, w); it need not be normalised."""
    x, y, z, w = np.asarray(quaternion, dtype=np.float64) / np.linalg.norm(quaternion)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def homogeneous(rotation: np.ndarray, translation: Sequence[float]) -> np.ndarray:
    """Return the 4 x 4 transform of a 3 x 3 rotation and a translation."""
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = translation
    return matrix
