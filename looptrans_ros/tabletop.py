"""The synthetic camera's 3D scene: a flat object standing upright on a table, seen from above.

Ground truth for the 3D outputs, ROS-free. The table is the plane z = 0 of the camera's parent
frame (base_link). The painted object is a flat board standing on it, facing the camera: a
vertical plane perpendicular to the camera's heading whose foot is on the table just below the
object's lowest painted row. Every object pixel sees the board, every other pixel the table (the
background's clutter is flat on it), so the depth agrees with what is painted.
"""
from dataclasses import dataclass

import numpy as np

from looptrans_ros.projection import Intrinsics, transform_points

UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Plane:
    """The plane `inward . p = offset` in the camera optical frame.

    `inward` is its unit normal pointing away from the camera (the approach direction, as in
    approach.Approach.z_axis), so `offset` > 0.
    """

    inward: np.ndarray
    offset: float

    def depth(self, rays: np.ndarray) -> np.ndarray:
        """Return the optical z at which each (..., 3) ray with z = 1 meets the plane."""
        with np.errstate(divide='ignore'):
            return self.offset / (rays @ self.inward)


def pixel_rays(size: tuple, intrinsics: Intrinsics) -> np.ndarray:
    """Return the (H, W, 3) rays with z = 1 through the pixels (u, v) of an (H, W) image."""
    rows, cols = np.mgrid[0:size[0], 0:size[1]].astype(np.float64)
    return np.stack([(cols - intrinsics.cx) / intrinsics.fx,
                     (rows - intrinsics.cy) / intrinsics.fy, np.ones(size)], axis=-1)


def plane_in_camera(normal: np.ndarray, point: np.ndarray, camera: np.ndarray) -> Plane:
    """Return the plane through `point` with `normal` (parent frame) in the optical frame.

    `camera` is the 4 x 4 pose of the optical frame in the parent frame (parent <- optical).
    """
    inward = camera[:3, :3].T @ normal
    offset = float(inward @ transform_points(point[None], np.linalg.inv(camera))[0])
    return Plane(inward, offset) if offset > 0 else Plane(-inward, -offset)


@dataclass(frozen=True)
class TabletopGeometry:
    """Ground truth of one synthetic frame, in the camera optical frame.

    Attributes:
        depth_m: (H, W) float64 depth in metres of every pixel (all are valid).
        normals: (H, W, 3) inward unit normals (away from the camera) of the surface seen.
        object_mask: (H, W) bool, the pixels that see the board (the painted object).
        table: the table's plane; board: the board's plane.
        intrinsics: of the image.
    """

    depth_m: np.ndarray
    normals: np.ndarray
    object_mask: np.ndarray
    table: Plane
    board: Plane
    intrinsics: Intrinsics

    @classmethod
    def build(cls, object_mask: np.ndarray, intrinsics: Intrinsics,
              camera: np.ndarray) -> 'TabletopGeometry':
        """Place the table and the board for a painted object's mask (see the module)."""
        rays = pixel_rays(object_mask.shape, intrinsics)
        table = plane_in_camera(UP, np.zeros(3), camera)
        table_depth = table.depth(rays)
        if not (np.isfinite(table_depth) & (table_depth > 0)).all():
            raise ValueError('the camera must see the table (z = 0 of its parent frame) in '
                             'every pixel; tilt it further down')
        rows = np.nonzero(object_mask.any(axis=1))[0]
        foot_row = rows[-1] + 0.5 if rows.size else object_mask.shape[0]
        foot_ray = np.array([0.0, (foot_row - intrinsics.cy) / intrinsics.fy, 1.0])
        foot = transform_points(foot_ray[None] * table.depth(foot_ray), camera)[0]
        heading = camera[:3, 2] - (camera[:3, 2] @ UP) * UP
        board = plane_in_camera(heading / np.linalg.norm(heading), foot, camera)
        depth = np.where(object_mask, board.depth(rays), table_depth)
        normals = np.where(object_mask[..., None], board.inward, table.inward)
        return cls(depth, normals, object_mask.copy(), table, board, intrinsics)

    def points(self) -> np.ndarray:
        """Return the (H, W, 3) surface point of every pixel."""
        return pixel_rays(self.depth_m.shape, self.intrinsics) * self.depth_m[..., None]

    def depth_mm(self) -> np.ndarray:
        """Return the depth as a 16UC1 image would hold it: uint16 millimetres."""
        return np.rint(self.depth_m * 1000.0).astype(np.uint16)

    def distance_to_surface(self, points: np.ndarray) -> np.ndarray:
        """Return each (N, 3) point's distance to the plane seen at the pixel it projects to.

        NaN for a point that projects outside the image or lies behind the camera.
        """
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        height, width = self.depth_m.shape
        with np.errstate(divide='ignore', invalid='ignore'):
            cols = np.rint(points[:, 0] / points[:, 2] * self.intrinsics.fx + self.intrinsics.cx)
            rows = np.rint(points[:, 1] / points[:, 2] * self.intrinsics.fy + self.intrinsics.cy)
        inside = (points[:, 2] > 0) & (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        distance = np.full(len(points), np.nan)
        on_board = self.object_mask[rows[inside].astype(int), cols[inside].astype(int)]
        inward = np.where(on_board[:, None], self.board.inward, self.table.inward)
        offset = np.where(on_board, self.board.offset, self.table.offset)
        distance[inside] = np.abs(np.einsum('ij,ij->i', points[inside], inward) - offset)
        return distance
