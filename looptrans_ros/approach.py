"""Approach poses: a plane fitted to the depth around a peak gives the direction to move in.

The rule, in depth pixels of a (2 * radius + 1)^2 window around the peak:
1. the peak's position is its back-projected point (projection.peak_positions' rule); no
   position, no approach;
2. the valid depths (finite, > 0) of the window are back-projected;
3. a least-squares plane (principal axes of the centred points) through the points of the
   peak's own 5 x 5 core (projection.DEPTH_WINDOW_RADIUS) seeds the fit; the window's points
   within APPROACH_INLIER_TOLERANCE of the peak's depth from it are kept and the plane is
   fitted again to them. So a second surface in the window (a background seen past an
   object's edge) is left out, as long as the core is on the peak's surface; where two
   surfaces meet in a crease, the other's points within the tolerance stay in (a peak 4
   pixels from the crease of a board standing on a table has its face's normal within 5 deg,
   test/node_logic/test_synthetic_depth.py);
4. the normal is turned to point away from the camera: the direction a gripper moves to touch
   the surface; the x axis is the image's u direction projected onto the plane;
5. the fit is not well posed, and no approach is given, when fewer than MIN_CORE_POINTS
   (seed) or MIN_APPROACH_POINTS (fit) points are left, when they lie near a line (second
   singular value below MIN_PLANE_SPREAD of the first), when the plane is seen edge-on (|cos|
   of normal and viewing ray below MIN_VIEW_COSINE), or when the image's u direction is almost
   along the normal (its projection onto the plane shorter than MIN_U_PROJECTION).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from looptrans_ros.projection import (back_project, DEPTH_WINDOW_RADIUS, Intrinsics,
                                      median_depth, transform_points)
from looptrans_ros.rotations import homogeneous, Quaternion, quaternion_from_matrix

APPROACH_WINDOW_RADIUS = 7
"""Half-size, in depth pixels, of the window whose points are fitted (15 x 15 pixels)."""
APPROACH_INLIER_TOLERANCE = 0.005
"""Points farther from the plane than this fraction of the peak's depth are left out."""
MIN_CORE_POINTS = 6
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
        position = transform_points(np.asarray(self.position, np.float64), matrix)[0]
        rotation = np.asarray(matrix, np.float64)[:3, :3]
        return Approach(position, rotation @ self.z_axis, rotation @ self.x_axis)


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
    scales = (depth_m.shape[1] / image_size[1], depth_m.shape[0] / image_size[0])
    depth = median_depth(depth_m, u * scales[0], v * scales[1])
    if depth is None:
        return None
    points, ring = window_points(depth_m, u * scales[0], v * scales[1], radius, scales,
                                 intrinsics)
    seed = fit_plane(points[ring <= DEPTH_WINDOW_RADIUS], MIN_CORE_POINTS)
    if seed is None:
        return None
    near = np.abs((points - seed[0]) @ seed[1]) <= APPROACH_INLIER_TOLERANCE * depth
    plane = fit_plane(points[near], MIN_APPROACH_POINTS)
    normal = None if plane is None else facing_away(*plane)
    if normal is None:
        return None
    x_axis = U_DIRECTION - (U_DIRECTION @ normal) * normal
    length = np.linalg.norm(x_axis)
    if length < MIN_U_PROJECTION:
        return None
    return Approach(np.array(back_project(u, v, depth, intrinsics)), normal, x_axis / length)


def window_points(depth_m: np.ndarray, col: float, row: float, radius: int,
                  scales: Tuple[float, float], intrinsics: Intrinsics
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Return the window's valid depths back-projected, (N, 3), and each one's ring.

    The ring is the Chebyshev distance, in depth pixels, from the window's centre.
    """
    height, width = depth_m.shape
    col, row = int(round(col)), int(round(row))
    rows = np.arange(max(0, row - radius), min(height, row + radius + 1))
    cols = np.arange(max(0, col - radius), min(width, col + radius + 1))
    window = depth_m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float64)
    valid = np.isfinite(window) & (window > 0)
    x, y, z = back_project(cols[None] / scales[0], rows[:, None] / scales[1], window,
                           intrinsics)
    ring = np.maximum(np.abs(rows - row)[:, None], np.abs(cols - col)[None])
    return np.column_stack([x[valid], y[valid], z[valid]]), ring[valid]


def fit_plane(points: np.ndarray, min_points: int) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Return the centroid and unit normal of the least-squares plane of (N, 3) points.

    None when fewer than `min_points` are given or they lie near a line (module rule 5).
    """
    if len(points) < min_points:
        return None
    centroid = points.mean(axis=0)
    centred = points - centroid
    # The eigenvectors of the 3 x 3 scatter matrix are the SVD's axes, its eigenvalues the
    # squared singular values: the same fit, several times faster than an SVD of (N, 3).
    variances, axes = np.linalg.eigh(centred.T @ centred)
    if variances[1] < MIN_PLANE_SPREAD ** 2 * variances[2]:
        return None
    return centroid, axes[:, 0]


def facing_away(centroid: np.ndarray, normal: np.ndarray) -> Optional[np.ndarray]:
    """Return `normal` turned away from the camera; None when the plane is seen edge-on."""
    cosine = normal @ centroid / np.linalg.norm(centroid)
    if abs(cosine) < MIN_VIEW_COSINE:
        return None
    return normal if cosine > 0 else -normal
