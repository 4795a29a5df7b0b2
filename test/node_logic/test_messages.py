"""Results -> message fields, with rosbags' own classes and CDR serialiser (Humble and Jazzy)."""
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

from looptrans_core.peaks import Peak
from looptrans_ros.approach import Approach
from looptrans_ros.diagnostics import camera_values, Counts, diagnostic_summary, diagnostic_values
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.interface_types import register_interfaces
from looptrans_ros.messages import CLOUD_FIELDS, MessageBuilder, peak_values
from looptrans_ros.spatial import Spatial

PEAKS = [Peak(10.0, 20.0, 0.9), Peak(30.0, 5.0, 0.6)]
APPROACH = Approach(np.array([0.1, 0.2, 1.0]), np.array([0.0, 0.0, 1.0]),
                    np.array([1.0, 0.0, 0.0]))
CLOUD = np.array([[0.1, 0.2, 1.0, 0.9], [0.3, -0.1, 1.2, 0.5]], np.float32)
SPATIAL = Spatial('base_link', [(0.1, 0.2, 1.0), None], [APPROACH, None], CLOUD)


@pytest.fixture(params=[Stores.ROS2_HUMBLE, Stores.ROS2_JAZZY], ids=['humble', 'jazzy'])
def store(request):
    return register_interfaces(get_typestore(request.param))


def rosbags_builder(store) -> MessageBuilder:
    from looptrans_ros.bag_grounding import BUILDER_TYPES
    return MessageBuilder({k: store.types[v] for k, v in BUILDER_TYPES.items()},
                          lambda data: np.frombuffer(data, np.uint8))


def header(store):
    time = store.types['builtin_interfaces/msg/Time'](sec=5, nanosec=7)
    return store.types['std_msgs/msg/Header'](stamp=time, frame_id='camera_optical')


def round_trip(store, message):
    raw = store.serialize_cdr(message, message.__msgtype__)
    return store.deserialize_cdr(raw, message.__msgtype__)


def test_peak_values_with_and_without_positions():
    zero = (0.0, 0.0, 0.0)
    assert peak_values(PEAKS) == [(10.0, 20.0, 0.9, False, zero, False, zero),
                                  (30.0, 5.0, 0.6, False, zero, False, zero)]
    with_depth = peak_values(PEAKS, SPATIAL)
    assert with_depth[0][3:] == (True, (0.1, 0.2, 1.0), True, (0.0, 0.0, 1.0))
    assert with_depth[1][3] is False and with_depth[1][5] is False


def test_heatmap_message_round_trips(store):
    heatmap = np.random.default_rng(0).random((6, 9), dtype=np.float32)
    message = round_trip(store, rosbags_builder(store).heatmap(header(store), heatmap))
    assert (message.encoding, message.height, message.width, message.step) == ('32FC1', 6, 9, 36)
    assert message.header.frame_id == 'camera_optical' and message.header.stamp.sec == 5
    assert np.array_equal(decode_image(fields_of(message)), heatmap)


def test_peaks_message_round_trips(store):
    message = rosbags_builder(store).peaks(header(store), 'cut', PEAKS, SPATIAL)
    decoded = round_trip(store, message)
    assert decoded.action == 'cut' and len(decoded.points) == 2
    assert decoded.header.frame_id == 'camera_optical' and decoded.position_frame == 'base_link'
    best = decoded.points[0]
    assert (best.u, best.v, best.has_position, best.has_approach) == (10.0, 20.0, True, True)
    assert best.score == pytest.approx(0.9)
    assert (best.position.x, best.position.y, best.position.z) == pytest.approx((0.1, 0.2, 1.0))
    assert (best.approach.x, best.approach.y, best.approach.z) == (0.0, 0.0, 1.0)
    assert decoded.points[1].has_position is False and decoded.points[1].has_approach is False
    plain = round_trip(store, rosbags_builder(store).peaks(header(store), 'cut', PEAKS))
    assert plain.position_frame == 'camera_optical'


def test_cloud_and_poses_round_trip_in_the_3d_frame(store):
    builder = rosbags_builder(store)
    cloud = round_trip(store, builder.cloud(header(store), SPATIAL))
    assert cloud.header.frame_id == 'base_link' and cloud.header.stamp.sec == 5
    assert [f.name for f in cloud.fields] == list(CLOUD_FIELDS)
    assert (cloud.width, cloud.height, cloud.point_step, cloud.row_step) == (2, 1, 16, 32)
    assert np.array_equal(np.frombuffer(bytes(cloud.data), '<f4').reshape(-1, 4), CLOUD)
    poses = round_trip(store, builder.poses(header(store), SPATIAL))
    assert poses.header.frame_id == 'base_link' and len(poses.poses) == 1
    pose = poses.poses[0]
    assert (pose.position.x, pose.position.y, pose.position.z) == pytest.approx((0.1, 0.2, 1.0))
    assert (pose.orientation.x, pose.orientation.y, pose.orientation.z,
            pose.orientation.w) == pytest.approx(APPROACH.quaternion())


def test_diagnostic_values_and_summary():
    assert diagnostic_summary(Counts())[0] is False
    counts = Counts(received=7, processed=3, dropped=2, rejected=1, failed=1,
                    inference_ms=12.345, end_to_end_ms=20.0)
    ok, message = diagnostic_summary(counts)
    assert ok and '12.3 ms' in message
    values = dict(diagnostic_values(counts, 'cpu', 'cut'))
    assert values == {'inference_ms': '12.35', 'end_to_end_ms': '20.00', 'frames_received': '7',
                      'frames_processed': '3', 'frames_dropped': '2', 'frames_rejected': '1',
                      'frames_failed': '1', 'depth_rejected': '0',
                      'frames_waiting_for_depth': '0', 'tf_failed': '0', 'device': 'cpu',
                      'action': 'cut', 'stream': 'true'}
    assert dict(diagnostic_values(Counts(tf_failed=4), 'cpu', 'cut', False, 3))['tf_failed'] == '4'
    assert diagnostic_summary(Counts(), stream=False) == (
        True, 'stream off: only goals of the ground action are grounded')
    assert camera_values({'': counts}) == [], 'the unnamed camera is the totals alone'
    assert dict(camera_values({'left': counts})) == {
        'left/frames_received': '7', 'left/frames_processed': '3', 'left/frames_dropped': '2',
        'left/frames_rejected': '1', 'left/frames_failed': '1'}
