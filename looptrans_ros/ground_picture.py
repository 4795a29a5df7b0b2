"""The README's picture of one `~/ground` answer: the cloud and the approach poses in base_link.

`python -m looptrans_ros.ground_picture --out docs/images/ground_cloud_poses.png` (`make
ground-picture` starts the launch file for it: synthetic camera, depth, target_frame base_link)
waits until the synthetic camera shows scene `--scene` of its seeded sequence, sends a goal for
`--action` in base_link with an empty image (the node grounds the next camera frame), and draws
the answer: that frame with its heat map, peaks and approach arrows, and the cloud with the
approach poses, the table and the camera in base_link. It prints each peak's position and
approach error against the scene's ground truth (tabletop.py).

rclpy and matplotlib are imported only when it runs, so this module imports without them.
"""
import argparse
from dataclasses import dataclass
import sys
import time
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.projection import Intrinsics, transform_points
from looptrans_ros.synthetic_scenes import SceneSource
from looptrans_ros.tabletop import TabletopGeometry

ARROW_M = (0.03, 0.1)
"""Length of a drawn approach on the image and in 3D: it starts that far in front of the
surface, along the approach, and ends at the peak."""
VIEW = (18.0, -140.0)
"""Elevation and azimuth (degrees) of the 3D view: from the camera's side, left of it."""
WAIT_S = 60.0
KEPT_FRAMES = 30
"""Camera frames kept to find the one a goal grounded (by its stamp)."""

Approach3 = Tuple[np.ndarray, np.ndarray]
"""(position, unit approach direction), both (3,) in base_link."""


@dataclass(frozen=True)
class Answer:
    """One goal's answer for one action, with the camera frame it grounded.

    Attributes:
        image: (H, W, 3) uint8 RGB frame; heatmap: (H, W) float32.
        pixels: (u, v) of each peak with an approach, best first; approaches: theirs.
        cloud: (N, 4) x, y, z, heat in the goal's target frame.
    """

    image: np.ndarray
    heatmap: np.ndarray
    pixels: List[Tuple[float, float]]
    approaches: List[Approach3]
    cloud: np.ndarray


def scene(index: int, size: Tuple[int, int] = (480, 640)) -> Tuple[SceneSource, np.ndarray]:
    """Return the synthetic camera's source (seed 0) on its scene `index`, and that image."""
    source = SceneSource(size, seed=0, frames_per_scene=1)
    for _ in range(index + 1):
        image = source.next_frame()
    return source, image


def ground_truth_errors(geometry: TabletopGeometry, pixels: Sequence[Tuple[float, float]],
                        approaches: Sequence[Approach3]) -> List[Tuple[float, float]]:
    """Return (position error in m, approach error in degrees) of each peak, against the scene."""
    camera = SIM_CAMERA_POSE.matrix()
    points, normals = geometry.points(), geometry.normals
    errors = []
    for (u, v), (position, direction) in zip(pixels, approaches):
        row, col = int(round(v)), int(round(u))
        truth = transform_points(points[row, col], camera)[0]
        normal = camera[:3, :3] @ normals[row, col]
        cosine = float(np.clip(direction @ normal, -1.0, 1.0))
        errors.append((float(np.linalg.norm(position - truth)), float(np.degrees(np.arccos(
            cosine)))))
    return errors


def image_arrows(approaches: Sequence[Approach3], intrinsics: Intrinsics) -> np.ndarray:
    """Return the (K, 2, 2) pixel start and end of each approach arrow drawn on the image."""
    to_camera = np.linalg.inv(SIM_CAMERA_POSE.matrix())
    ends = [transform_points(np.stack([p - ARROW_M[0] * d, p]), to_camera)
            for p, d in approaches]
    return np.array([[[intrinsics.fx * x / z + intrinsics.cx, intrinsics.fy * y / z
                       + intrinsics.cy] for x, y, z in end] for end in ends]).reshape(-1, 2, 2)


def draw(path: str, image: np.ndarray, heatmap: np.ndarray, pixels: Sequence[Tuple[float, float]],
         cloud: np.ndarray, approaches: Sequence[Approach3], intrinsics: Intrinsics,
         title: str) -> None:
    """Draw the frame with heat, peaks and arrows beside the cloud and poses in base_link."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure = plt.figure(figsize=(14, 5.6))
    flat = figure.add_subplot(1, 2, 1)
    flat.imshow(image)
    flat.imshow(heatmap, cmap='inferno', alpha=0.45, vmin=0, vmax=1)
    flat.scatter(*np.transpose(pixels), s=60, facecolors='none', edgecolors='cyan')
    for start, end in image_arrows(approaches, intrinsics):
        flat.annotate('', xy=end, xytext=start, arrowprops={'arrowstyle': '->', 'color': 'cyan',
                                                            'lw': 2})
    flat.set_title('the grounded frame: heat map, peaks, approaches')
    flat.axis('off')
    space = figure.add_subplot(1, 2, 2, projection='3d')
    points = space.scatter(*cloud[:, :3].T, c=cloud[:, 3], cmap='inferno', s=2, vmin=0, vmax=1)
    for position, direction in approaches:
        space.quiver(*(position - ARROW_M[1] * direction), *(ARROW_M[1] * direction),
                     color='tab:cyan',
                     linewidth=2.5, arrow_length_ratio=0.25)
    camera = SIM_CAMERA_POSE.translation
    low, high = cloud[:, :3].min(axis=0) - 0.05, cloud[:, :3].max(axis=0) + 0.05
    low[:2], high[:2] = np.minimum(low[:2], camera[:2]), np.maximum(high[:2], camera[:2])
    corners = np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]],
                        [low[0], high[1]], [low[0], low[1]]])
    space.plot(corners[:, 0], corners[:, 1], 0.0, color='grey', lw=1, label='table (z = 0)')
    space.scatter(*camera, marker='^', s=60, color='tab:green', label=SIM_CAMERA_POSE.child_frame)
    axis = SIM_CAMERA_POSE.matrix()[:3, 2] * 0.3
    space.quiver(*camera, *axis, color='tab:green', linewidth=1, arrow_length_ratio=0.15)
    space.yaxis.set_major_locator(MaxNLocator(4))
    space.set_xlabel('x (m)')
    space.set_ylabel('y (m)')
    space.set_zlabel('z (m)')
    high[2] = max(high[2], camera[2])
    space.set_box_aspect(high - np.minimum(low, [np.inf, np.inf, 0.0]))
    space.view_init(*VIEW)
    space.legend(loc='upper left')
    figure.colorbar(points, ax=space, shrink=0.6, label='heat')
    space.set_title(f'~/cloud and approach poses in {SIM_CAMERA_POSE.parent_frame}')
    figure.suptitle(title)
    figure.tight_layout(rect=(0.0, 0.03, 1.0, 0.95))
    figure.savefig(path, dpi=90)
    plt.close(figure)


def spin_until(node, condition: Callable[[], bool], what: str) -> None:
    """Spin `node` until `condition()`; RuntimeError after WAIT_S seconds."""
    import rclpy
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f'waited {WAIT_S:.0f} s for {what}; is `ros2 launch '
                               'looptrans_ros grounding.launch.py use_sim_camera:=true '
                               'use_depth:=true` running?')
        rclpy.spin_once(node, timeout_sec=0.1)


def ask_on_scene(expected: np.ndarray, action: str, image_topic: str, server: str,
                 target_frame: str) -> Answer:
    """Wait for the camera to show `expected`, send one goal (next frame), return its answer."""
    from looptrans_interfaces.action import Ground
    import rclpy
    from rclpy.action import ActionClient
    from sensor_msgs.msg import Image
    from sensor_msgs_py.point_cloud2 import read_points_numpy

    node = rclpy.create_node('ground_picture')
    try:
        frames = {}

        def keep(message) -> None:
            frames[(message.header.stamp.sec, message.header.stamp.nanosec)] = message
            if len(frames) > KEPT_FRAMES:
                frames.pop(next(iter(frames)))

        node.create_subscription(Image, image_topic, keep, 10)
        spin_until(node, lambda: any(np.array_equal(decode_image(fields_of(m)), expected)
                                     for m in list(frames.values())[-1:]),
                   f'the scene on {image_topic}')
        client = ActionClient(node, Ground, server)
        spin_until(node, client.server_is_ready, f'the {server} action server')
        sent = client.send_goal_async(Ground.Goal(actions=[action], target_frame=target_frame,
                                                  timeout_s=10.0))
        spin_until(node, sent.done, 'the goal to be accepted')
        done = sent.result().get_result_async()
        spin_until(node, done.done, 'the answer')
        result = done.result().result
        if not result.clouds:
            raise RuntimeError(f'the goal gave no cloud: {result.message!r}')
        stamp = result.heatmaps[0].header.stamp
        image = decode_image(fields_of(frames[(stamp.sec, stamp.nanosec)]))
        if not np.array_equal(image, expected):
            raise RuntimeError('the camera moved on to another scene before the goal; run again')
        located = [p for p in result.peaks[0].points if p.has_approach]
        return Answer(image, decode_image(fields_of(result.heatmaps[0])),
                      [(p.u, p.v) for p in located],
                      [(np.array([p.position.x, p.position.y, p.position.z]),
                        np.array([p.approach.x, p.approach.y, p.approach.z])) for p in located],
                      read_points_numpy(result.clouds[0], field_names=('x', 'y', 'z', 'heat')))
    finally:
        node.destroy_node()


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m looptrans_ros.ground_picture',
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--action', default='hold')
    parser.add_argument('--scene', type=int, default=5,
                        help="scene of the camera's seed-0 sequence (5: a bottle)")
    parser.add_argument('--image-topic', default='/camera/image_raw')
    parser.add_argument('--server', default='/looptrans_grounding/ground')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Ask the running node once, draw its answer; 1 with the reason when it fails."""
    args = get_args_parser().parse_args(argv)
    import rclpy
    rclpy.init()
    try:
        source, image = scene(args.scene)
        answer = ask_on_scene(image, args.action, args.image_topic, args.server,
                              SIM_CAMERA_POSE.parent_frame)
    except RuntimeError as error:
        print(f'ground_picture: {error}', file=sys.stderr)
        return 1
    finally:
        rclpy.try_shutdown()
    errors = ground_truth_errors(source.geometry, answer.pixels, answer.approaches)
    for (u, v), (position_error, angle) in zip(answer.pixels, errors):
        print(f'peak ({u:.0f}, {v:.0f}): position error {position_error * 1000:.1f} mm, '
              f'approach error {angle:.2f} deg')
    draw(args.out, answer.image, answer.heatmap, answer.pixels, answer.cloud, answer.approaches,
         source.intrinsics, f'~/ground {{actions: [{args.action}], target_frame: '
         f'{SIM_CAMERA_POSE.parent_frame}}} on the synthetic RGB-D camera')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
