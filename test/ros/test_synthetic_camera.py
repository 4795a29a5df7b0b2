"""The synthetic camera: generated scenes, their depth and camera_info, seen by a probe node."""
from node_harness import Probe
import numpy as np
import pytest
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from tf2_msgs.msg import TFMessage

from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.synthetic_scenes import camera_matrices, SceneSource

TF_STATIC_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""tf2's /tf_static: latched, so a late subscriber still gets the transforms."""


def test_scene_source_changes_scene_every_n_frames():
    source = SceneSource((64, 80), seed=1, frames_per_scene=2)
    first, second, third = (source.next_frame() for _ in range(3))
    assert first.shape == (64, 80, 3) and first.dtype == np.uint8
    assert first is second and not np.array_equal(first, third)
    assert source.affordances


def test_camera_matrix_centre():
    k = camera_matrices((480, 640))['k']
    assert (k[2], k[5]) == (319.5, 239.5) and k[0] == k[4] > 0


def replayed_depth(image: np.ndarray) -> np.ndarray:
    """Return the depth of the scene whose image is `image`, replaying the camera's source."""
    source = SceneSource(image.shape[:2], seed=0, frames_per_scene=1)
    for _ in range(10):
        if np.array_equal(source.next_frame(), image):
            return source.depth_mm()
    raise AssertionError('the image is none of the first 10 scenes of seed 0')


@pytest.fixture
def ros():
    rclpy.init()
    made = []
    yield made
    for probe, node in made:
        probe.close()
        node.destroy_node()
    rclpy.try_shutdown()


def test_camera_node_publishes_frames_with_their_depth(ros):
    from looptrans_ros.synthetic_camera import SyntheticCamera
    node = SyntheticCamera()
    probe = Probe([node])
    ros.append((probe, node))
    images = probe.subscribe(Image, '/image')
    depths = probe.subscribe(Image, '/depth')
    infos = probe.subscribe(CameraInfo, '/camera_info')
    probe.spin_until(lambda: len(images) >= 2 and len(depths) >= 2 and infos,
                     'frames, depths and a camera_info')
    image, info = images[-1], infos[-1]
    (depth,) = [d for d in depths if d.header == image.header]
    assert (image.encoding, image.height, image.width) == ('rgb8', 480, 640)
    assert (depth.encoding, depth.height, depth.width) == ('16UC1', 480, 640)
    assert info.header.frame_id == image.header.frame_id == 'camera_optical_frame'
    assert [timer.timer_period_ns for timer in node.timers] == [100_000_000]
    pixels = decode_image(fields_of(image))
    assert np.array_equal(decode_image(fields_of(depth)), replayed_depth(pixels))


def test_camera_node_broadcasts_its_pose_as_a_static_transform(ros):
    from looptrans_ros.synthetic_camera import SyntheticCamera
    node = SyntheticCamera(parameter_overrides=[Parameter('frame_id', value='sim_optical')])
    probe = Probe([node])
    ros.append((probe, node))
    statics = probe.subscribe(TFMessage, '/tf_static', TF_STATIC_QOS)
    probe.spin_until(lambda: statics, 'the static transform')
    (transform,) = statics[-1].transforms
    assert (transform.header.frame_id, transform.child_frame_id) == ('base_link', 'sim_optical')
    moved, turned = transform.transform.translation, transform.transform.rotation
    assert (moved.x, moved.y, moved.z) == SIM_CAMERA_POSE.translation
    assert (turned.x, turned.y, turned.z, turned.w) == SIM_CAMERA_POSE.quaternion


def test_publish_depth_and_tf_false_publish_neither(ros):
    from looptrans_ros.synthetic_camera import SyntheticCamera
    node = SyntheticCamera(parameter_overrides=[Parameter('publish_depth', value=False),
                                                Parameter('publish_tf', value=False)])
    probe = Probe([node])
    ros.append((probe, node))
    images = probe.subscribe(Image, '/image')
    probe.spin_until(lambda: images, 'a frame')
    assert {p.topic_name for p in node.publishers} & {'/depth', '/tf_static'} == set()
    assert not node.get_publishers_info_by_topic('/depth')
