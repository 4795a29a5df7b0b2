"""The synthetic camera: scenes from the training generator, camera_info, seen by a probe node."""
from node_harness import Probe
import numpy as np
import rclpy
from sensor_msgs.msg import CameraInfo, Image

from looptrans_ros.synthetic_scenes import camera_matrices, SceneSource


def test_scene_source_changes_scene_every_n_frames():
    source = SceneSource((64, 80), seed=1, frames_per_scene=2)
    first, second, third = (source.next_frame() for _ in range(3))
    assert first.shape == (64, 80, 3) and first.dtype == np.uint8
    assert first is second and not np.array_equal(first, third)
    assert source.affordances


def test_camera_matrix_centre():
    k = camera_matrices((480, 640))['k']
    assert (k[2], k[5]) == (319.5, 239.5) and k[0] == k[4] > 0


def test_camera_node_publishes_serialisable_frames():
    from looptrans_ros.synthetic_camera import SyntheticCamera
    rclpy.init()
    try:
        node = SyntheticCamera()
        probe = Probe([node])
        images = probe.subscribe(Image, '/image')
        infos = probe.subscribe(CameraInfo, '/camera_info')
        probe.spin_until(lambda: images and infos, 'a frame and its camera_info')
        image, info = images[0], infos[0]
        assert (image.encoding, image.height, image.width) == ('rgb8', 480, 640)
        assert info.header.frame_id == image.header.frame_id == 'camera_optical_frame'
        assert [timer.timer_period_ns for timer in node.timers] == [100_000_000]
        probe.close()
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
