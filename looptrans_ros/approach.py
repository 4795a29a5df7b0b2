"""Approach poses: a plane fitted to the depth around a peak gives the direction to move in.

The rule, in depth pixels of a (2 * radius + 1)^2 window around the peak:
1. the peak's position is its back-projected point (projection.peak_positions' rule); no
   position, no approach;
2. the window's valid depths (finite, > 0) within APPROACH_DEPTH_GATE of the peak's depth are
   back-projected (the gate keeps a background seen past an object's edge out of the fit);
3. a least-squares plane through them (SVD of the centred points) gives the normal, turned to
   point away from the camera: the direction a gripper moves to touch the surface;
4. the fit is not well posed, and no approach is given, when fewer than MIN_APPROACH_POINTS
   points remain, when they lie near a line (second singular value below MIN_PLANE_SPREAD of
   the first), when the plane is seen edge-on (|cos| of normal and viewing ray below
   MIN_VIEW_COSINE), or when the image's u direction is almost along the normal (its
   projection onto the plane shorter than MIN_U_PROJECTION).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from looptrans_ros.projection import back_project, Intrinsics, median_depth
from looptrans_ros.rotations import homogeneous, Quaternion, quaternion_from_matrix

APPROACH_WINDOW_RADIUS = 7
"""Half-size, in depth pixels, of the window whose points are fitted (15 x 15 pixels)."""
APPROACH_DEPTH_GATE = 0.05
"""Points are fitted only if their depth is within this fraction of the peak's depth."""
MIN_APPROACH_POINTS = 12
MIN_PLANE_SPREAD = 0.2
MIN_VIEW_COSINE = 0.1
MIN_U_PROJECTION = 0.1
U_DIRECTION = np.array([1.0, 0.0, 0.0])
"""The image's u (column) direction in the camera optical frame (x right, y down, z ahead)."""


@dataclass(frozen=True)
class Approach:
    """A pose to approach a surface point along: the columns of its rotation are the axes.

    Attributes:
        position: (3,) metres.
        z_axis: (3,) unit, the approach direction: the inward surface normal (from the camera
            side into the surface).
        x_axis: (3,) unit, perpendicular to z_axis: the image's u direction projected onto the
            fitted plane.
    """

    position: np.ndarray
    z_axis: np.ndarray
    x_axis: np.ndarray

    @property
    def y_axis(self) -> np.ndarray:
        """Return the (3,) unit y axis that completes a right-handed frame: z x x."""
        return np.cross(self.z_axis, self.x_axis)

    def rotation(self) -> np.ndarray:
        """Return the 3 x 3 rotation whose columns are the x, y and z axes."""
        return np.column_stack([self.x_axis, self.y_axis, self.z_axis])

    def quaternion(self) -> Quaternion:
        """Return the rotation as a quaternion, ordered x, y, z, w."""
        return quaternion_from_matrix(self.rotation())

    def matrix(self) -> np.ndarray:
        """Return the 4 x 4 pose: rotation and position."""
        return homogeneous(self.rotation(), self.position)

    def transformed(self, matrix: np.ndarray) -> 'Approach':
        """Return this approach in another frame; `matrix`: 4 x 4 transform target <- here."""
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.shape != (4, 4):
            raise ValueError(f'a transform is a 4 x 4 homogeneous matrix, got {matrix.shape}')
        rotation = matrix[:3, :3]
        return Approach(rotation @ self.position + matrix[:3, 3], rotation @ self.z_axis,
                        rotation @ self.x_axis)


def fit_approach(depth_m: np.ndarray, u: float, v: float, intrinsics: Intrinsics,
                 image_size: Tuple[int, int], radius: int = APPROACH_WINDOW_RADIUS
                 ) -> Optional[Approach]:
    """Return the approach at pixel (u, v) of the colour image, or None (the module's rule).

    Args:
        depth_m: depth in metres aligned to the colour image (its size may differ).
        u: column of the peak in the colour image.
        v: row of the peak in the colour image.
        intrinsics: of the colour image.
        image_size: (height, width) of the colour image.
        radius: half-size of the fitted window, in depth pixels.
    """
    scale_v = depth_m.shape[0] / image_size[0]
    scale_u = depth_m.shape[1] / image_size[1]
    depth = median_depth(depth_m, u * scale_u, v * scale_v)
    if depth is None:
        return None
    points = window_points(depth_m, u * scale_u, v * scale_v, radius, depth,
                           (scale_u, scale_v), intrinsics)
    normal = plane_normal(points)
    if normal is None:
        return None
    x_axis = U_DIRECTION - (U_DIRECTION @ normal) * normal
    length = np.linalg.norm(x_axis)
    if length < MIN_U_PROJECTION:
        return None
    return Approach(np.array(back_project(u, v, depth, intrinsics)), normal, x_axis / length)


def window_points(depth_m: np.ndarray, col: float, row: float, radius: int, depth: float,
                  scales: Tuple[float, float], intrinsics: Intrinsics) -> np.ndarray:
    """Return the (N, 3) back-projected points of the window's depths gated around `depth`."""
    height, width = depth_m.shape
    col, row = int(round(col)), int(round(row))
    rows = np.arange(max(0, row - radius), min(height, row + radius + 1))
    cols = np.arange(max(0, col - radius), min(width, col + radius + 1))
    window = depth_m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    keep = np.isfinite(window) & (window > 0)
    keep[keep] = np.abs(window[keep] - depth) <= APPROACH_DEPTH_GATE * depth
    at_rows, at_cols = np.nonzero(keep)
    x, y, z = back_project(cols[at_cols] / scales[0], rows[at_rows] / scales[1],
                           window[keep].astype(np.float64), intrinsics)
    return np.column_stack([x, y, z])


def plane_normal(points: np.ndarray) -> Optional[np.ndarray]:
    """Return the unit normal, away from the camera, of a plane fitted to (N, 3) points.

    None when the fit is not well posed (rule 4 of the module's docstring).
    """
    if len(points) < MIN_APPROACH_POINTS:
        return None
    centroid = points.mean(axis=0)
    _, spread, axes = np.linalg.svd(points - centroid, full_matrices=False)
    if spread[1] < MIN_PLANE_SPREAD * spread[0]:
        return None
    normal = axes[2]
    cosine = normal @ centroid / np.linalg.norm(centroid)
    if abs(cosine) < MIN_VIEW_COSINE:
        return None
    return normal if cosine > 0 else -normal
