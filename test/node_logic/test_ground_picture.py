"""The picture tool's ROS-free parts: errors against the scene, arrows on the image, drawing."""
import numpy as np

from looptrans_core import render_scene
from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.ground_picture import draw, ground_truth_errors, image_arrows, scene
from looptrans_ros.heat_cloud import heat_cloud
from looptrans_ros.projection import transform_points


def truth_approaches(geometry, pixels):
    """Return the scene's own (point, inward normal) at `pixels`, in base_link."""
    camera = SIM_CAMERA_POSE.matrix()
    return [(transform_points(geometry.points()[v, u], camera)[0],
             camera[:3, :3] @ geometry.normals[v, u]) for u, v in pixels]


def test_errors_are_zero_on_the_truth_and_measure_a_shift_and_a_tilt():
    source, image = scene(5)
    rng = np.random.default_rng(0)
    assert np.array_equal(image, [render_scene(rng)[0] for _ in range(6)][-1])
    rows, cols = np.nonzero(source.geometry.object_mask)
    pixels = [(int(cols[i]), int(rows[i])) for i in (0, len(rows) // 2)]
    truth = truth_approaches(source.geometry, pixels)
    assert np.allclose(ground_truth_errors(source.geometry, pixels, truth), 0.0, atol=1e-4)
    tilt = np.radians(10.0)
    turned = np.array([[np.cos(tilt), -np.sin(tilt), 0], [np.sin(tilt), np.cos(tilt), 0],
                       [0, 0, 1]])
    moved = [(p + [0.0, 0.0, 0.02], turned @ d) for p, d in truth]
    for position_error, angle in ground_truth_errors(source.geometry, pixels, moved):
        assert abs(position_error - 0.02) < 1e-9 and abs(angle - 10.0) < 1e-6


def test_image_arrows_end_at_the_peak_and_the_picture_is_written(tmp_path):
    source, image = scene(5)
    rows, cols = np.nonzero(source.geometry.object_mask)
    pixels = [(int(cols[len(rows) // 2]), int(rows[len(rows) // 2]))]
    approaches = truth_approaches(source.geometry, pixels)
    ((start, end),) = image_arrows(approaches, source.intrinsics)
    np.testing.assert_allclose(end, pixels[0], atol=1e-6)
    assert np.linalg.norm(start - end) > 5  # 3 cm in front of the board, seen from 1 m
    heat = source.geometry.object_mask.astype(np.float32)
    cloud = heat_cloud(heat, source.depth_mm() / 1000.0, source.intrinsics, 0.5, 8)
    cloud[:, :3] = transform_points(cloud[:, :3], SIM_CAMERA_POSE.matrix())
    path = tmp_path / 'picture.png'
    draw(str(path), image, heat, pixels, cloud, approaches, source.intrinsics, 'test')
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
