"""Back-projection of pixel peaks to 3D points with camera intrinsics and a depth image."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from looptrans_core import Peak

Point3 = Tuple[float, float, float]

DEPTH_WINDOW_RADIUS = 2
"""Half-size of the square window whose valid depths are medianed at a peak (5 x 5 pixels)."""


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of the colour image: focal lengths and principal point in pixels."""

    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_k(cls, k: Sequence[float]) -> 'Intrinsics':
        """Read a row-major 3 x 3 camera matrix (sensor_msgs/CameraInfo.k)."""
        values = [float(x) for x in k]
        if len(values) != 9 or not all(np.isfinite(values)) or values[0] <= 0 or values[4] <= 0:
            raise ValueError(f'camera matrix k={values} is not a 9-element finite row-major '
                             'matrix with positive focal lengths k[0] and k[4]; is the camera '
                             'calibrated?')
        return cls(values[0], values[4], values[2], values[5])


def median_depth(depth_m: np.ndarray, u: float, v: float,
                 radius: int = DEPTH_WINDOW_RADIUS) -> Optional[float]:
    """Median of the valid depths (finite, > 0) in a window around pixel (u, v); None if none."""
    height, width = depth_m.shape
    col, row = int(round(u)), int(round(v))
    if not (0 <= col < width and 0 <= row < height):
        return None
    window = depth_m[max(0, row - radius):row + radius + 1, max(0, col - radius):col + radius + 1]
    valid = np.sort(window[np.isfinite(window) & (window > 0)])
    if not valid.size:
        return None
    # np.median's value (the middle one, or the mean of the middle two), at a tenth of its
    # overhead on these 25 values: it runs for every peak of every frame.
    middle = valid.size // 2
    return float(valid[middle] if valid.size % 2 else (valid[middle - 1] + valid[middle]) / 2)


def back_project(u: float, v: float, depth: float, intrinsics: Intrinsics) -> Point3:
    """Point (x, y, z) in metres in the camera optical frame of pixel (u, v) at `depth` metres."""
    return ((u - intrinsics.cx) * depth / intrinsics.fx,
            (v - intrinsics.cy) * depth / intrinsics.fy,
            depth)


def peak_positions(peaks: Sequence[Peak], depth_m: np.ndarray, intrinsics: Intrinsics,
                   image_size: Tuple[int, int]) -> List[Optional[Point3]]:
    """3D position of each peak, or None where the depth around it has no valid value.

    Args:
        peaks: peaks in pixels of the colour image.
        depth_m: depth in metres aligned to the colour image (its size may differ).
        intrinsics: of the colour image.
        image_size: (height, width) of the colour image.
    """
    scale_v = depth_m.shape[0] / image_size[0]
    scale_u = depth_m.shape[1] / image_size[1]
    positions: List[Optional[Point3]] = []
    for peak in peaks:
        depth = median_depth(depth_m, peak.u * scale_u, peak.v * scale_v)
        positions.append(None if depth is None else back_project(peak.u, peak.v, depth,
                                                                 intrinsics))
    return positions


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Return (N, 3) points put through a 4 x 4 homogeneous transform (target <- source).

    The node looks the transform up in tf2 at the image's stamp; this only applies it.
    float32 points stay float32 (a cloud), others become float64.
    """
    points = np.asarray(points)
    points = points.reshape(-1, 3).astype(np.result_type(points, np.float32), copy=False)
    matrix = np.asarray(matrix, dtype=points.dtype)
    if matrix.shape != (4, 4):
        raise ValueError(f'a transform is a 4 x 4 homogeneous matrix, got shape {matrix.shape}')
    return points @ matrix[:3, :3].T + matrix[:3, 3]
