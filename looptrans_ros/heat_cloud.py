"""The affordance point cloud: the hot pixels of a heat map put in 3D with the depth."""
import numpy as np

from looptrans_ros.projection import back_project, Intrinsics


def heat_cloud(heat: np.ndarray, depth_m: np.ndarray, intrinsics: Intrinsics,
               threshold: float, stride: int) -> np.ndarray:
    """Return (N, 4) float32 rows x, y, z, heat of the hot pixels, in the optical frame.

    Every `stride`-th pixel of every `stride`-th row, from (0, 0), whose heat is at least
    `threshold` and whose depth is valid (finite, > 0), row by row. A colour pixel (u, v) takes
    the depth pixel nearest to (u, v) scaled to the depth image's size (the rounding of
    projection.median_depth); one beyond its last row or column has no depth.

    Args:
        heat: (H, W) map of the colour image, in [0, 1].
        depth_m: depth in metres aligned to the colour image (its size may differ).
        intrinsics: of the colour image.
        threshold: the least heat kept.
        stride: >= 1, the step between sampled pixels in both directions.
    """
    if stride < 1:
        raise ValueError(f'cloud stride must be a whole number of pixels >= 1, got {stride}')
    height, width = heat.shape
    rows, cols = np.arange(0, height, stride), np.arange(0, width, stride)
    depth_rows = np.rint(rows * (depth_m.shape[0] / height)).astype(np.intp)
    depth_cols = np.rint(cols * (depth_m.shape[1] / width)).astype(np.intp)
    inside = ((depth_rows < depth_m.shape[0])[:, None] & (depth_cols < depth_m.shape[1])[None])
    depth = depth_m.take(np.minimum(depth_rows, depth_m.shape[0] - 1), axis=0).take(
        np.minimum(depth_cols, depth_m.shape[1] - 1), axis=1)
    sampled = heat[::stride, ::stride]
    keep = inside & (sampled >= threshold) & np.isfinite(depth) & (depth > 0)
    # The whole sampled grid is back-projected, then masked: faster than picking the kept
    # pixels' coordinates first with np.nonzero.
    x, y, z = back_project(cols[None].astype(np.float32), rows[:, None].astype(np.float32),
                           depth, intrinsics)
    cloud = np.empty((int(keep.sum()), 4), np.float32)
    cloud[:, 0], cloud[:, 1], cloud[:, 2], cloud[:, 3] = x[keep], y[keep], z[keep], sampled[keep]
    return cloud
