"""The grounding node over the rclpy stand-in: every message it publishes is CDR-serialised."""
import threading
import time
import tracemalloc

from looptrans_interfaces.srv import SetAffordance
from node_harness import (camera_info, compressed_message, deliver, header, image_message,
                          published, wait_until)
import numpy as np
import pytest
import rclpy
from rclpy.parameter import Parameter

from looptrans_core.checkpoints import CheckpointError
from looptrans_ros import node as node_module
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.node import GroundingNode
from looptrans_ros.projection import back_project, Intrinsics

pytestmark = pytest.mark.skipif(not getattr(rclpy, 'STAND_IN', False),
                                reason='drives the stand-in; real ROS runs test_launch_grounding')
HEATMAP, PEAKS = '/looptrans_grounding/heatmap', '/looptrans_grounding/peaks'
K = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]


class SlowGrounder:
    """A Grounder whose inference takes at least `delay` seconds, counting its calls."""

    def __init__(self, grounder, delay: float) -> None:
        self.grounder, self.delay, self.calls = grounder, delay, 0

    def __getattr__(self, name):
        return getattr(self.grounder, name)

    def ground(self, *args, **kwargs):
        self.calls += 1
        time.sleep(self.delay)
        return self.grounder.ground(*args, **kwargs)


@pytest.fixture
def make_node(monkeypatch, ros_grounder):
    nodes = []

    def make(grounder=ros_grounder, **parameters):
        monkeypatch.setattr(node_module, 'load_grounder',
                            lambda *args, **kwargs: (grounder, ['weights are random']))
        rclpy.init()
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        nodes.append(GroundingNode(parameter_overrides=overrides))
        return nodes[-1]

    yield make
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown()


def test_frame_in_heatmap_and_peaks_out_with_the_input_header(make_node, scene):
    node = make_node()
    deliver(node, '/image', image_message(scene[..., ::-1].copy(), 'rgb8', header(7, 5)))
    wait_until(lambda: published(node, PEAKS))
    heatmap, peaks = published(node, HEATMAP)[0], published(node, PEAKS)[0]
    for message in (heatmap, peaks):
        assert (message.header.stamp.sec, message.header.stamp.nanosec) == (7, 5)
        assert message.header.frame_id == 'camera_optical'
    values = decode_image(fields_of(heatmap))
    assert heatmap.encoding == '32FC1' and values.shape == scene.shape[:2]
    assert 0.0 <= values.min() and values.max() <= 1.0
    assert peaks.action == 'hold' and 1 <= len(peaks.points) <= 3
    assert all(not point.has_position for point in peaks.points)
    assert [p.score for p in peaks.points] == sorted([p.score for p in peaks.points],
                                                     reverse=True)
    assert not published(node, '/looptrans_grounding/overlay'), 'overlay without subscribers'
    assert ('warn', 'weights are random') in node.get_logger().lines


def test_overlay_only_when_subscribed(make_node, scene):
    node = make_node()
    node.publishers_by_topic['/looptrans_grounding/overlay'].subscription_count = 1
    deliver(node, '/image', image_message(scene, 'bgr8', header(1)))
    wait_until(lambda: published(node, '/looptrans_grounding/overlay'))
    overlay = published(node, '/looptrans_grounding/overlay')[0]
    assert overlay.encoding == 'bgr8' and (overlay.height, overlay.width) == scene.shape[:2]


def call_service(node, action: str):
    service = node.services_by_name['/set_affordance']
    return service.callback(SetAffordance.Request(action=action), SetAffordance.Response())


def test_action_by_service_valid_and_invalid(make_node, scene):
    node = make_node()
    response = call_service(node, 'cut')
    assert response.success and node.get_parameter('action').value == 'cut'
    assert 'cut' in response.available and len(response.available) == 36
    response = call_service(node, 'fly')
    assert not response.success and "unknown action 'fly'" in response.message
    assert 'cut_with' in response.message
    assert node.get_parameter('action').value == 'cut' and node.pipeline.action == 'cut'
    deliver(node, '/image', image_message(scene, 'bgr8', header(2)))
    wait_until(lambda: published(node, PEAKS))
    assert published(node, PEAKS)[0].action == 'cut'


def test_action_by_parameter_valid_invalid_and_read_only(make_node):
    node = make_node()
    assert node.set_parameters([Parameter('action', value='pour')])[0].successful
    assert node.pipeline.action == 'pour'
    refused = node.set_parameters([Parameter('action', value='fly')])[0]
    assert not refused.successful and 'valid actions:' in refused.reason
    assert node.pipeline.action == 'pour'
    assert not node.set_parameters([Parameter('checkpoint', value='x.pth')])[0].successful
    assert node.set_parameters([Parameter('num_peaks', value=1)])[0].successful
    assert node.pipeline.peak_config.num_peaks == 1


def test_burst_while_inference_is_slow_keeps_the_newest(make_node, ros_grounder):
    slow = SlowGrounder(ros_grounder, delay=0.2)
    node = make_node(grounder=slow)
    frame = np.zeros((120, 160, 3), np.uint8)
    deliver(node, '/image', image_message(frame, 'bgr8', header(1000)))
    wait_until(lambda: slow.calls == 1)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for index in range(100):
        frame[:, :, 0] = index
        deliver(node, '/image', image_message(frame, 'bgr8', header(index + 1)))
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    slot = node.pipeline.slot
    wait_until(lambda: len(published(node, PEAKS)) == slot.received - slot.dropped)
    stamps = [message.header.stamp.sec for message in published(node, PEAKS)]
    assert stamps[-1] == 100, 'the newest frame was not the last processed'
    assert len(stamps) <= 3 and slot.dropped >= 98 and slot.received == 101
    assert growth < 5 * frame.nbytes, f'memory grew by {growth} bytes over a 100-frame burst'


def test_malformed_frames_are_counted_and_the_node_lives_on(make_node, scene):
    node = make_node()
    good = image_message(scene, 'bgr8', header(3))
    bad = [image_message(scene, 'bgr8', header(1)), image_message(scene, 'bgr8', header(2))]
    bad[0].step = 10
    bad[1].encoding = 'yuv422'
    for count, message in enumerate(bad, start=1):
        deliver(node, '/image', message)
        wait_until(lambda: node.pipeline.stats.snapshot(0, 0).rejected == count)
    deliver(node, '/image', good)
    wait_until(lambda: published(node, PEAKS))
    node.timers_list[0].callback()
    status = published(node, '/diagnostics')[-1].status[0]
    values = {kv.key: kv.value for kv in status.values}
    assert (values['frames_rejected'], values['frames_processed']) == ('2', '1')
    assert values['frames_received'] == '3' and values['action'] == 'hold'
    warnings = [line for level, line in node.get_logger().lines if level == 'warn']
    assert any('step 10 is below' in line for line in warnings)
    assert any("unsupported image encoding 'yuv422'" in line for line in warnings)


def test_depth_gives_peaks_positions(make_node, scene):
    node = make_node(use_depth=True)
    deliver(node, '/camera_info', camera_info(header(5), K))
    depth = np.full(scene.shape[:2], 1500, np.uint16)
    deliver(node, '/depth', image_message(depth, '16UC1', header(5)))
    deliver(node, '/image', image_message(scene, 'bgr8', header(5)))
    wait_until(lambda: published(node, PEAKS))
    best = published(node, PEAKS)[0].points[0]
    expected = back_project(best.u, best.v, 1.5, Intrinsics.from_k(K))
    assert best.has_position
    position = (best.position.x, best.position.y, best.position.z)
    assert position == pytest.approx(expected, rel=1e-5)
    point = published(node, '/looptrans_grounding/peak_point')[0]
    assert point.point.z == pytest.approx(1.5) and point.header.frame_id == 'camera_optical'
    markers = published(node, '/looptrans_grounding/markers')[0].markers
    assert markers[0].action == markers[0].DELETEALL and markers[1].type == markers[1].SPHERE


def test_depth_too_far_in_time_gives_no_positions(make_node, scene):
    node = make_node(use_depth=True)
    deliver(node, '/camera_info', camera_info(header(5), K))
    deliver(node, '/depth', image_message(np.full(scene.shape[:2], 1.0, np.float32), '32FC1',
                                          header(4)))
    deliver(node, '/image', image_message(scene, 'bgr8', header(5)))
    wait_until(lambda: published(node, PEAKS))
    assert not any(point.has_position for point in published(node, PEAKS)[0].points)
    assert not published(node, '/looptrans_grounding/peak_point')


def test_compressed_input(make_node, scene):
    node = make_node(image_transport='compressed', image_qos='reliable')
    assert '/image' not in node.subscriptions_by_topic
    deliver(node, '/image/compressed', compressed_message(scene, header(9)))
    deliver_garbage = compressed_message(scene, header(10))
    deliver_garbage.data = b'garbage'
    wait_until(lambda: published(node, PEAKS))
    heatmap = published(node, HEATMAP)[0]
    assert (heatmap.height, heatmap.width, heatmap.header.stamp.sec) == (48, 64, 9)
    deliver(node, '/image/compressed', deliver_garbage)
    wait_until(lambda: node.pipeline.stats.snapshot(0, 0).rejected == 1)


def test_main_exits_non_zero_on_a_bad_checkpoint(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise CheckpointError('checkpoint not found: /missing.pth')
    monkeypatch.setattr(node_module, 'load_grounder', fail)
    assert node_module.main([]) == 1
    assert 'checkpoint:=' in capsys.readouterr().err and not rclpy.ok()


def test_main_spins_until_shutdown(monkeypatch, ros_grounder):
    monkeypatch.setattr(node_module, 'load_grounder', lambda *a, **k: (ros_grounder, []))
    result = []
    thread = threading.Thread(target=lambda: result.append(node_module.main([])))
    thread.start()
    wait_until(rclpy.ok)
    rclpy.shutdown()
    thread.join(timeout=10)
    assert result == [0]
