"""`python -m bench.accuracy_3d [--scenes N] [--action A]`: 3D accuracy on the synthetic scene.

Every scene of the synthetic camera goes through the node's GroundingPipeline with the bundled
demo model, its 16UC1 depth and camera_info, and target_frame base_link (the transform is
SIM_CAMERA_POSE, as tf2 gives it to the node). Prints, against the scene's ground truth put
through the same pose: the position error of every located peak (cm) and the angle between
the approach and the face's normal for peaks whose window sees one face only (degrees).
"""
import argparse
from types import SimpleNamespace
from typing import List, Optional

import numpy as np

from looptrans_core import load_default_grounder
from looptrans_ros.grounding_pipeline import GroundingPipeline
from looptrans_ros.image_codec import encode_image
from looptrans_ros.projection import back_project, transform_points
from looptrans_ros.settings import Settings
from looptrans_ros.synthetic_scenes import camera_matrices, SceneSource, SIM_CAMERA_POSE

SIZE = (480, 640)
"""The synthetic camera's frame size (synthetic_camera.SIZE; that module needs ROS)."""
FACE_RADIUS = 8
"""Half-size of the window that must see one face for an approach to be compared."""


def message(pixels: np.ndarray, encoding: str, frame_id: str) -> SimpleNamespace:
    """Return an Image-like message of `pixels`."""
    header = SimpleNamespace(stamp=SimpleNamespace(sec=1, nanosec=0), frame_id=frame_id)
    return SimpleNamespace(header=header, **vars(encode_image(pixels, encoding)))


def summary(name: str, values: List[float], unit: str) -> str:
    """One line: count, median, 95th percentile and max of `values`."""
    if not values:
        return f'{name}: none'
    v = np.asarray(values)
    return (f'{name}: n={len(v)} median {np.median(v):.3f} {unit}, p95 '
            f'{np.percentile(v, 95):.3f} {unit}, max {v.max():.3f} {unit}')


def one_face(mask: np.ndarray, col: int, row: int) -> bool:
    """Whether the window around (col, row) sees the board only or the table only."""
    window = mask[max(0, row - FACE_RADIUS):row + FACE_RADIUS + 1,
                  max(0, col - FACE_RADIUS):col + FACE_RADIUS + 1]
    return bool(window.all() or not window.any())


def main(argv: Optional[List[str]] = None) -> int:
    """Measure and print the errors."""
    parser = argparse.ArgumentParser(prog='python -m bench.accuracy_3d', description=__doc__)
    parser.add_argument('--scenes', type=int, default=40)
    parser.add_argument('--action', default='', help='default: the first of each scene')
    args = parser.parse_args(argv)
    grounder, _ = load_default_grounder('', 'cpu')
    camera = SIM_CAMERA_POSE.matrix()
    source = SceneSource(SIZE, seed=0, frames_per_scene=1)
    info = SimpleNamespace(k=camera_matrices(SIZE)['k'])
    position_cm, approach_deg = [], []
    for _ in range(args.scenes):
        pixels = source.next_frame()
        geometry, action = source.geometry, args.action or source.affordances[0]
        pipeline = GroundingPipeline(grounder, Settings(action=action, target_frame='base_link'),
                                     lambda grounding: None, print,
                                     lookup=lambda *unused: camera)
        frame_id = SIM_CAMERA_POSE.child_frame
        grounding = pipeline.process(message(pixels, 'rgb8', frame_id),
                                     depth=message(source.depth_mm(), '16UC1', frame_id),
                                     camera_info=info)
        spatial = grounding.spatial[action]
        for peak, xyz, approach in zip(grounding.results[action].peaks, spatial.positions,
                                       spatial.approaches):
            col, row = int(round(peak.u)), int(round(peak.v))
            if xyz is not None:
                truth = back_project(peak.u, peak.v, geometry.depth_m[row, col],
                                     source.intrinsics)
                truth = transform_points(np.asarray([truth]), camera)[0]
                position_cm.append(100.0 * float(np.linalg.norm(np.asarray(xyz) - truth)))
            if approach is not None and one_face(geometry.object_mask, col, row):
                normal = camera[:3, :3] @ geometry.normals[row, col]
                cosine = float(np.clip(approach.z_axis @ normal, -1.0, 1.0))
                approach_deg.append(float(np.degrees(np.arccos(cosine))))
    print(f'{args.scenes} synthetic scenes, 640 x 480, demo model, target_frame base_link')
    print(summary('position error', position_cm, 'cm'))
    print(summary('approach error (one-face peaks)', approach_deg, 'deg'))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
