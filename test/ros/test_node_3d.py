"""3D outputs through the ROS graph: tf2 at the image's stamp, ~/cloud, ~/poses, approaches."""
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, TransformStamped
from node_harness import (camera_info, header, image_message, NodesUnderTest, private_topic,
                          warnings_of)
import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, Writer
from rosbags.typesys import get_typestore, Stores
from sensor_msgs.msg import CameraInfo, PointCloud2
from sensor_msgs_py.point_cloud2 import read_points_numpy
from std_msgs.msg import Header
from tf2_ros import StaticTransformBroadcaster, TransformBroadcaster

from looptrans_ros import bag_grounding
from looptrans_ros import node as node_module
from looptrans_ros.node import GroundingNode
from looptrans_ros.projection import back_project, Intrinsics, transform_points
from looptrans_ros.rotations import matrix_from_quaternion
from looptrans_ros.synthetic_camera import SIZE
from looptrans_ros.synthetic_scenes import camera_matrices, SceneSource, SIM_CAMERA_POSE

K = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]
SCENE_SEED = 3


@pytest.fixture
def nodes(ros_context):
    made = NodesUnderTest(GroundingNode)
    yield made
    made.close()


@pytest.fixture
def tiny_node(nodes, monkeypatch, tiny_grounder):
    """Return start(**parameters) of a node on the tiny random model (the bag tool's too)."""
    for module in (node_module, bag_grounding):
        monkeypatch.setattr(module, 'load_default_grounder',
                            lambda *args, **kwargs: (tiny_grounder, []))
    return nodes.start


def transform(stamp: Header, parent: str, child: str, translation, quaternion) -> TransformStamped:
    message = TransformStamped(header=Header(stamp=stamp.stamp, frame_id=parent),
                               child_frame_id=child)
    t, q = message.transform.translation, message.transform.rotation
    t.x, t.y, t.z = (float(x) for x in translation)
    q.x, q.y, q.z, q.w = (float(x) for x in quaternion)
    return message


def values_of(diagnostics: DiagnosticArray) -> dict:
    return {value.key: value.value for value in diagnostics.status[0].values}


def angle_deg(a, b) -> float:
    cosine = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def xyz(vector) -> np.ndarray:
    return np.array([vector.x, vector.y, vector.z])


def test_sim_scene_in_base_link_matches_the_known_geometry(nodes):
    source = SceneSource(SIZE, seed=SCENE_SEED, frames_per_scene=1)
    pixels, depth = source.next_frame(), source.depth_mm()
    geometry, action = source.geometry, source.affordances[0]
    node, probe = nodes.start(use_depth=True, target_frame='base_link', action=action,
                              device='cpu')
    pose = SIM_CAMERA_POSE
    StaticTransformBroadcaster(probe.node).sendTransform(transform(
        header(0), pose.parent_frame, pose.child_frame, pose.translation, pose.quaternion))
    out = probe.outputs(node, 'peaks')
    clouds = probe.subscribe(PointCloud2, private_topic(node, 'cloud'))
    poses = probe.subscribe(PoseArray, private_topic(node, 'poses'))
    stamp = header(20, frame_id=pose.child_frame)
    probe.publish('/camera_info', CameraInfo(header=stamp, height=SIZE[0], width=SIZE[1],
                                             **camera_matrices(SIZE)))
    probe.publish('/depth', image_message(depth, '16UC1', stamp))
    probe.publish('/image', image_message(pixels, 'rgb8', stamp))
    probe.spin_until(lambda: out['peaks'] and clouds and poses, 'peaks, cloud and poses')

    camera = pose.matrix()
    peaks = out['peaks'][0]
    assert peaks.position_frame == 'base_link' and peaks.header.frame_id == pose.child_frame
    located = [p for p in peaks.points if p.has_position]
    assert located, 'no peak got a position'
    for point in located:
        col, row = int(round(point.u)), int(round(point.v))
        truth = back_project(point.u, point.v, geometry.depth_m[row, col], source.intrinsics)
        truth = transform_points(np.asarray([truth]), camera)[0]
        assert np.linalg.norm(xyz(point.position) - truth) < 0.01, (point, truth)

    flat = [p for p in peaks.points if p.has_approach and on_one_face(geometry, p.u, p.v)]
    assert flat, 'no peak with an approach on a flat face'
    for point in flat:
        normal = camera[:3, :3] @ geometry.normals[int(round(point.v)), int(round(point.u))]
        assert angle_deg(xyz(point.approach), normal) < 5.0

    pose_array = poses[0]
    assert pose_array.header.frame_id == 'base_link'
    with_approach = [p for p in peaks.points if p.has_approach]
    assert len(pose_array.poses) == len(with_approach)
    for found, point in zip(pose_array.poses, with_approach):
        assert np.allclose(xyz(found.position), xyz(point.position), atol=1e-6)
        q = found.orientation
        z_axis = matrix_from_quaternion((q.x, q.y, q.z, q.w))[:, 2]
        assert angle_deg(z_axis, xyz(point.approach)) < 0.1

    cloud = clouds[0]
    assert cloud.header.frame_id == 'base_link' and cloud.header.stamp.sec == 20
    points = read_points_numpy(cloud, field_names=('x', 'y', 'z', 'heat'))
    assert len(points) > 0 and (points[:, 3] >= 0.5).all()
    in_camera = transform_points(points[:, :3], np.linalg.inv(camera))
    assert np.nanmax(geometry.distance_to_surface(in_camera)) < 0.01


def on_one_face(geometry, u: float, v: float, radius: int = 8) -> bool:
    """Whether the window around (u, v) sees one face only (the board or the table)."""
    col, row = int(round(u)), int(round(v))
    window = geometry.object_mask[max(0, row - radius):row + radius + 1,
                                  max(0, col - radius):col + radius + 1]
    return bool(window.all() or not window.any())


def flat_depth_messages(stamp: Header) -> list:
    """(topic, message) of camera_info, a flat 2 m depth and a frame, all stamped `stamp`."""
    scene = np.full((48, 64, 3), 40, np.uint8)
    scene[10:30, 20:44] = (30, 160, 230)
    return [('/camera_info', camera_info(stamp, K)),
            ('/depth', image_message(np.full((48, 64), 2000, np.uint16), '16UC1', stamp)),
            ('/image', image_message(scene, 'bgr8', stamp))]


def settled(counts) -> bool:
    """Return whether every frame received is processed, dropped, rejected or failed."""
    return counts.received == (counts.processed + counts.dropped + counts.rejected
                               + counts.failed)


def flat_depth_frame(probe, stamp: Header) -> None:
    """Publish camera_info, a flat 2 m depth and a frame, all stamped `stamp`."""
    for topic, message in flat_depth_messages(stamp):
        probe.publish(topic, message)


def test_the_bag_tool_gives_the_nodes_cloud_and_poses(tiny_node, tmp_path):
    node, probe = tiny_node(use_depth=True)
    clouds = probe.subscribe(PointCloud2, private_topic(node, 'cloud'))
    poses = probe.subscribe(PoseArray, private_topic(node, 'poses'))
    messages = flat_depth_messages(header(70))
    for topic, message in messages:
        probe.publish(topic, message)
    probe.spin_until(lambda: clouds and poses, "the node's cloud and poses")
    store = get_typestore(Stores.ROS2_JAZZY)
    with Writer(tmp_path / 'in', version=9) as writer:  # the bytes the node got, as recorded
        for topic, message in messages:
            msgtype = f'sensor_msgs/msg/{type(message).__name__}'
            connection = writer.add_connection(topic, msgtype, typestore=store)
            writer.write(connection, 70 * 10**9, serialize_message(message))
    assert bag_grounding.main(['--input', str(tmp_path / 'in'), '--output', str(tmp_path / 'out'),
                               '--topic', '/image', '--action', 'hold', '--depth-topic',
                               '/depth', '--camera-info-topic', '/camera_info']) == 0
    with Reader(tmp_path / 'out') as reader:
        written = {c.topic: deserialize_message(raw, {'/looptrans/cloud': PointCloud2,
                                                      '/looptrans/poses': PoseArray}[c.topic])
                   for c, _, raw in reader.messages() if c.topic.startswith('/looptrans/')
                   and c.topic.rsplit('/', 1)[1] in ('cloud', 'poses')}
    assert written['/looptrans/cloud'].header.frame_id == 'camera_optical'
    assert bytes(written['/looptrans/cloud'].data) == bytes(clouds[0].data)
    assert len(clouds[0].data) > 0 and written['/looptrans/poses'] == poses[0]


def test_points_use_the_transform_at_the_image_stamp_not_the_latest(tiny_node):
    node, probe = tiny_node(use_depth=True, target_frame='base_link', transform_timeout_s=1.0)
    out = probe.outputs(node, 'peaks')
    broadcaster = TransformBroadcaster(probe.node)
    speed = 0.1  # m/s along base_link x, stamps 1000 s .. 1002 s every 50 ms
    for step in range(41):
        seconds = 1000.0 + 0.05 * step
        stamp = header(int(seconds), int(round((seconds % 1) * 1e9)))
        broadcaster.sendTransform(transform(stamp, 'base_link', 'camera_optical',
                                            (speed * 0.05 * step, 0.0, 0.0), (0, 0, 0, 1)))
    probe.spin_for(0.5)
    flat_depth_frame(probe, header(1000, 500_000_000))
    probe.spin_until(lambda: out['peaks'], 'peaks')
    best = out['peaks'][0].points[0]
    assert best.has_position and out['peaks'][0].position_frame == 'base_link'
    in_camera = back_project(best.u, best.v, 2.0, Intrinsics.from_k(K))
    at_stamp, latest = in_camera[0] + speed * 0.5, in_camera[0] + speed * 2.0
    assert best.position.x == pytest.approx(at_stamp, abs=0.002)
    assert abs(best.position.x - latest) > 0.1


def test_without_a_transform_2d_goes_on_tf_failed_counts_one_warning_a_second(tiny_node):
    node, probe = tiny_node(use_depth=True, target_frame='nowhere', transform_timeout_s=0.05)
    out = probe.outputs(node, 'heatmap', 'peaks', 'rosout')
    diagnostics = probe.subscribe(DiagnosticArray, '/diagnostics')
    frames = 25
    for index in range(frames):  # 2.5 s at 10 Hz
        flat_depth_frame(probe, header(50, index * 100_000_000))
        probe.spin_for(0.1)
    probe.spin_until(lambda: len(out['peaks']) >= frames // 2, 'peaks of most frames')
    probe.spin_until(lambda: settled(node.pipeline.counts()), 'every received frame accounted')
    counts = node.pipeline.counts()
    probe.spin_until(lambda: len(out['peaks']) == counts.processed, 'the peaks of every frame')
    assert all(not p.has_position for peaks in out['peaks'] for p in peaks.points)
    assert len(out['heatmap']) >= frames // 2
    failed = counts.tf_failed
    assert failed == counts.processed
    probe.spin_until(lambda: diagnostics and any(
        values_of(d).get('tf_failed') == str(failed)
        for d in diagnostics), 'tf_failed on /diagnostics')

    def warned():
        return [w for w in warnings_of(node, out['rosout'])
                if "no transform from 'camera_optical' to 'nowhere' at the image stamp 50." in w]

    probe.spin_until(lambda: len(warned()) >= 2, 'two tf warnings on /rosout')
    probe.spin_for(0.5)  # any later record arrives too
    assert 2 <= len(warned()) <= 4, warned()  # ~2.5 s of failures, one warning a second


def test_colour_without_depth_is_counted_and_warned_naming_the_topics(tiny_node):
    node, probe = tiny_node(use_depth=True)
    out = probe.outputs(node, 'rosout')
    diagnostics = probe.subscribe(DiagnosticArray, '/diagnostics')
    scene = np.full((48, 64, 3), 40, np.uint8)
    for index in range(5):  # spun between: the image subscription keeps only the newest
        probe.publish('/image', image_message(scene, 'bgr8', header(60 + index)))
        probe.spin_for(0.1)
    probe.spin_until(lambda: any(
        values_of(d)['frames_waiting_for_depth'] == '5'
        for d in diagnostics), 'frames_waiting_for_depth 5 on /diagnostics')
    probe.spin_until(lambda: any(
        'colour frame(s) on /image waited over 1 s for a depth image on /depth and a camera_info '
        'on /camera_info' in w for w in warnings_of(node, out['rosout'])), 'the depth warning')
    assert node.pipeline.counts().received == 0
