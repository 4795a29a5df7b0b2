"""The 3D outputs of one action on one frame, in the frame the robot plans in.

Positions, approaches and the heat cloud are computed in the camera's optical frame, then put
through one 4 x 4 transform (target <- camera) that the node looked up in tf2 at the image's
stamp; without a target frame the transform is the identity.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from looptrans_core import Peak
from looptrans_ros.approach import Approach, fit_approach
from looptrans_ros.heat_cloud import heat_cloud
from looptrans_ros.projection import Intrinsics, peak_positions, Point3, transform_points


class TransformUnavailable(Exception):
    """No transform between the image's frame and the target frame at the image's stamp."""


Lookup = Callable[[str, str, object, float], np.ndarray]
"""(target_frame, source_frame, stamp, timeout_s) -> 4 x 4 target <- source matrix; raises
TransformUnavailable naming both frames and the stamp."""


@dataclass(frozen=True)
class Spatial:
    """The 3D outputs of one action, all in `frame_id`.

    Attributes:
        frame_id: the tf2 frame of every value here.
        positions: one per peak, best first; None where the depth there had no valid value.
        approaches: one per peak; None where no plane fitted well (or no position).
        cloud: (N, 4) float32 rows x, y, z, heat of the hot pixels.
    """

    frame_id: str
    positions: List[Optional[Point3]]
    approaches: List[Optional[Approach]]
    cloud: np.ndarray


def transformed_point(point: Optional[Point3], matrix: np.ndarray) -> Optional[Point3]:
    """`point` through `matrix`; None stays None."""
    if point is None:
        return None
    return tuple(float(x) for x in transform_points(np.asarray([point]), matrix)[0])


def spatial_outputs(heatmap: np.ndarray, peaks: Sequence[Peak], depth_m: np.ndarray,
                    intrinsics: Intrinsics, cloud_rule: Tuple[float, int], frame_id: str,
                    matrix: np.ndarray) -> Spatial:
    """Positions, approaches and cloud of one action's heat map and peaks, in `frame_id`.

    Args:
        heatmap: (H, W) heat map of the colour image.
        peaks: its peaks, best first.
        depth_m: depth in metres aligned to the colour image (its size may differ).
        intrinsics: of the colour image.
        cloud_rule: (cloud_threshold, cloud_stride).
        frame_id: the frame `matrix` maps into.
        matrix: 4 x 4 transform frame_id <- camera optical frame.
    """
    size = heatmap.shape[:2]
    positions = peak_positions(peaks, depth_m, intrinsics, size)
    approaches = [None if xyz is None else fit_approach(depth_m, peak.u, peak.v, intrinsics, size)
                  for peak, xyz in zip(peaks, positions)]
    cloud = heat_cloud(heatmap, depth_m, intrinsics, *cloud_rule)
    cloud[:, :3] = transform_points(cloud[:, :3], matrix)
    return Spatial(frame_id, [transformed_point(xyz, matrix) for xyz in positions],
                   [None if a is None else a.transformed(matrix) for a in approaches],
                   cloud.astype(np.float32, copy=False))
