"""The grounding node on real rclpy, driven by a probe node through public rclpy API only."""
import threading
import tracemalloc

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import State, Transition
from lifecycle_msgs.srv import ChangeState, GetState
from looptrans_interfaces.msg import AffordancePeaks
from looptrans_interfaces.srv import SetAffordance
from node_harness import (camera_info, compressed_message, header, image_message, IMAGE_QOS,
                          NodesUnderTest, private_topic, Probe, warnings_of)
import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image

from encoded_images import png_declaring
from looptrans_core.checkpoints import CheckpointError
from looptrans_ros import node as node_module
from looptrans_ros import outputs
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.node import GroundingNode
from looptrans_ros.projection import back_project, Intrinsics

K = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]
STARTUP_WARNING = 'weights are random'


class GatedGrounder:
    """A Grounder whose inference waits for `gate` (slow inference on demand), counting calls."""

    def __init__(self, grounder) -> None:
        self.grounder, self.gate, self.calls = grounder, threading.Event(), 0

    def __getattr__(self, name):
        return getattr(self.grounder, name)

    def network(self, *args, **kwargs):
        self.calls += 1
        assert self.gate.wait(timeout=60.0), 'the test never opened the gate'
        return self.grounder.network(*args, **kwargs)


@pytest.fixture
def make_node(monkeypatch, tiny_grounder, ros_context):
    """Return make(grounder=..., **parameters) -> (node, probe); destroys both afterwards."""
    nodes = NodesUnderTest(GroundingNode)

    def make(grounder=tiny_grounder, **parameters):
        monkeypatch.setattr(node_module, 'load_default_grounder',
                            lambda *args, **kwargs: (grounder, [STARTUP_WARNING]))
        return nodes.start(**parameters)

    yield make
    nodes.close()


def test_frame_in_heatmap_and_peaks_out_with_the_input_header(make_node, scene, monkeypatch):
    overlays = []
    monkeypatch.setattr(outputs, 'render_overlay', lambda *a, **k: overlays.append(a))
    node, probe = make_node()
    out = probe.outputs(node, 'heatmap', 'peaks', 'rosout')
    probe.publish('/image', image_message(scene[..., ::-1].copy(), 'rgb8', header(7, 5)))
    probe.spin_until(lambda: out['peaks'] and out['heatmap'], 'a heat map and peaks')
    heatmap, peaks = out['heatmap'][0], out['peaks'][0]
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
    assert not overlays, 'an overlay was rendered with nobody subscribed to it'
    probe.spin_until(lambda: STARTUP_WARNING in warnings_of(node, out['rosout']),
                     'the start-up warning on /rosout')


def test_overlay_only_when_subscribed(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'overlay')
    probe.publish('/image', image_message(scene, 'bgr8', header(1)))
    probe.spin_until(lambda: out['overlay'], 'an overlay')
    overlay = out['overlay'][0]
    assert overlay.encoding == 'bgr8' and (overlay.height, overlay.width) == scene.shape[:2]
    assert overlay.header.stamp.sec == 1


def set_affordance(probe: Probe, action: str):
    return probe.call(SetAffordance, '/set_affordance', SetAffordance.Request(action=action))


def test_action_by_service_valid_and_invalid(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'peaks')
    response = set_affordance(probe, 'cut')
    assert response.success and node.get_parameter('action').value == 'cut'
    assert 'cut' in response.available and len(response.available) == 36
    response = set_affordance(probe, 'fly')
    assert not response.success and "unknown action 'fly'" in response.message
    assert 'cut_with' in response.message
    assert node.get_parameter('action').value == 'cut'
    probe.publish('/image', image_message(scene, 'bgr8', header(2)))
    probe.spin_until(lambda: out['peaks'], 'peaks')
    assert out['peaks'][0].action == 'cut'


def test_action_by_parameter_valid_invalid_and_read_only(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'peaks')
    assert node.set_parameters([Parameter('action', value='pour')])[0].successful
    refused = node.set_parameters([Parameter('action', value='fly')])[0]
    assert not refused.successful and 'valid actions:' in refused.reason
    assert node.get_parameter('action').value == 'pour'
    assert not node.set_parameters([Parameter('checkpoint', value='x.pth')])[0].successful
    assert node.set_parameters([Parameter('num_peaks', value=1)])[0].successful
    probe.publish('/image', image_message(scene, 'bgr8', header(4)))
    probe.spin_until(lambda: out['peaks'], 'peaks')
    assert out['peaks'][0].action == 'pour' and len(out['peaks'][0].points) == 1


def test_burst_while_inference_is_slow_keeps_the_newest(make_node, tiny_grounder):
    """While the network is busy, one frame waits prepared; newer ones replace each other."""
    gated = GatedGrounder(tiny_grounder)
    node, probe = make_node(grounder=gated, image_qos='reliable')
    out = probe.outputs(node, 'peaks')
    counts = node.pipeline.counts
    frame = np.zeros((120, 160, 3), np.uint8)
    probe.publish('/image', image_message(frame, 'bgr8', header(1000)))
    try:
        probe.spin_until(lambda: gated.calls == 1, 'inference to start')
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for index in range(100):
            frame[:, :, 0] = index
            probe.publish('/image', image_message(frame, 'bgr8', header(index + 1)))
            probe.spin_until(lambda: counts().received == index + 2,
                             f'frame {index + 1} to arrive')
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gated.gate.set()
    probe.spin_until(lambda: len(out['peaks']) == 3, 'the first, one prepared, the newest')
    stamps = [message.header.stamp.sec for message in out['peaks']]
    assert stamps[0] == 1000 and stamps[2] == 100 and 1 <= stamps[1] < 100, stamps
    assert (counts().received, counts().dropped, gated.calls) == (101, 98, 3), (
        'one frame waited prepared for the network; the others replaced each other')
    assert growth < 5 * frame.nbytes, f'memory grew by {growth} bytes over a 100-frame burst'


def diagnostic_values(message) -> dict:
    return {kv.key: kv.value for kv in message.status[0].values}


def test_malformed_frames_are_counted_and_the_node_lives_on(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'peaks', 'diagnostics', 'rosout')
    bad = [image_message(scene, 'bgr8', header(1)), image_message(scene, 'bgr8', header(2))]
    bad[0].step = 10
    bad[1].encoding = 'yuv422'
    for count, message in enumerate(bad, start=1):
        probe.publish('/image', message)
        probe.spin_until(lambda: node.pipeline.counts().rejected == count,
                         f'{count} rejected frame(s)')
    probe.publish('/image', image_message(scene, 'bgr8', header(3)))
    probe.spin_until(lambda: out['peaks'], 'peaks of the good frame')
    probe.spin_until(lambda: any(diagnostic_values(m)['frames_processed'] == '1'
                                 for m in out['diagnostics']), 'diagnostics after the frame')
    values = diagnostic_values(out['diagnostics'][-1])
    assert (values['frames_rejected'], values['frames_processed']) == ('2', '1')
    assert values['frames_received'] == '3' and values['action'] == 'hold'
    assert values['frames_lost'] == '0', 'nothing lost before the subscription'
    stages = ('receive', 'decode', 'preprocess', 'network', 'postprocess', 'images', 'publish')
    assert all(float(values[f'stage_{stage}_ms']) >= 0.0 for stage in stages), values
    for expected in ('step 10 is below', "unsupported image encoding 'yuv422'"):
        probe.spin_until(lambda: any(expected in line
                                     for line in warnings_of(node, out['rosout'])),
                         f'a warning with {expected!r} on /rosout')


def ground_with_depth(make_node, scene, depth_message, image_stamp=header(5)) -> tuple:
    """Send K, `depth_message` and a frame stamped `image_stamp` to a depth-enabled node.

    Returns (probe, outputs): the probe's lists of peaks, peak_point and markers.
    """
    node, probe = make_node(use_depth=True)
    out = probe.outputs(node, 'peaks', 'peak_point', 'markers')
    probe.publish('/camera_info', camera_info(header(5), K))
    probe.publish('/depth', depth_message)
    probe.publish('/image', image_message(scene, 'bgr8', image_stamp))
    return probe, out


def test_depth_gives_peaks_positions(make_node, scene):
    depth = np.full(scene.shape[:2], 1500, np.uint16)
    probe, out = ground_with_depth(make_node, scene, image_message(depth, '16UC1', header(5)))
    probe.spin_until(lambda: out['peaks'] and out['markers'] and out['peak_point'],
                     "peaks, markers and the best peak's point")
    best = out['peaks'][0].points[0]
    expected = back_project(best.u, best.v, 1.5, Intrinsics.from_k(K))
    assert best.has_position
    position = (best.position.x, best.position.y, best.position.z)
    assert position == pytest.approx(expected, rel=1e-5)
    point = out['peak_point'][0]
    assert point.point.z == pytest.approx(1.5) and point.header.frame_id == 'camera_optical'
    markers = out['markers'][0].markers
    assert markers[0].action == markers[0].DELETEALL and markers[1].type == markers[1].SPHERE


def test_colour_waits_for_depth_within_the_slop(make_node, scene):
    depth = np.full(scene.shape[:2], 1.0, np.float32)
    probe, out = ground_with_depth(make_node, scene, image_message(depth, '32FC1', header(4)))
    probe.spin_for(1.0)
    assert not out['peaks'], 'a frame was grounded without depth within depth_tolerance_s'
    probe.publish('/depth', image_message(depth, '32FC1', header(5)))
    probe.spin_until(lambda: out['peaks'], 'peaks once depth of the same stamp came')
    assert out['peaks'][0].header.stamp.sec == 5 and out['peaks'][0].points[0].has_position


def test_compressed_input(make_node, scene):
    node, probe = make_node(image_transport='compressed', image_qos='reliable')
    out = probe.outputs(node, 'heatmap')
    probe.spin_until(lambda: probe.node.count_subscribers('/image/compressed') == 1,
                     'the compressed subscription')
    assert probe.node.count_subscribers('/image') == 0
    probe.publish('/image/compressed', compressed_message(scene, header(9)))
    probe.spin_until(lambda: out['heatmap'], 'a heat map')
    heatmap = out['heatmap'][0]
    assert (heatmap.height, heatmap.width, heatmap.header.stamp.sec) == (48, 64, 9)
    garbage = compressed_message(scene, header(10))
    garbage.data = b'garbage'
    probe.publish('/image/compressed', garbage)
    probe.spin_until(lambda: node.pipeline.counts().rejected == 1, 'a rejection')


def test_namespace_and_remapped_image_topic(make_node, tiny_grounder, scene, monkeypatch):
    monkeypatch.setattr(node_module, 'load_default_grounder', lambda *a, **k: (tiny_grounder, []))
    node = GroundingNode(namespace='/robot',
                         cli_args=['--ros-args', '-r', 'image:=/camera/image_raw'])
    probe = Probe([node])
    try:
        out = probe.outputs(node, 'peaks')
        assert out is not None and probe.node.count_subscribers('/robot/image') == 0
        probe.publish('/camera/image_raw', image_message(scene, 'bgr8', header(6)))
        probe.spin_until(lambda: out['peaks'], 'peaks on /robot/looptrans_grounding/peaks')
        assert out['peaks'][0].header.stamp.sec == 6
        assert probe.node.count_publishers('/robot/looptrans_grounding/heatmap') == 1
        probe.spin_until(lambda: '/robot/set_affordance' in dict(
            probe.node.get_service_names_and_types()), 'set_affordance in the namespace')
    finally:
        probe.close()
        node.destroy_node()


def test_two_cameras_grounded_together_each_on_its_own_topics(make_node, tiny_grounder, scene):
    gated = GatedGrounder(tiny_grounder)
    node, probe = make_node(grounder=gated, image_qos='reliable', camera_names=['left', 'right'])
    heatmaps = {camera: probe.subscribe(Image, private_topic(node, f'{camera}/heatmap'),
                                        IMAGE_QOS) for camera in ('left', 'right')}
    assert probe.node.count_subscribers('/image') == 0
    assert probe.node.count_publishers(private_topic(node, 'heatmap')) == 0
    probe.publish('/left/image', image_message(scene, 'bgr8', header(1)))
    try:
        probe.spin_until(lambda: gated.calls == 1, 'inference on the first left frame')
        probe.publish('/left/image', image_message(scene, 'bgr8', header(2)))
        probe.publish('/right/image', image_message(scene[:24, :32].copy(), 'bgr8', header(3)))
        probe.spin_until(lambda: node.pipeline.counts().received == 3, 'both frames to arrive')
    finally:
        gated.gate.set()
    probe.spin_until(lambda: len(heatmaps['left']) == 2 and heatmaps['right'], 'both heat maps')
    assert [m.header.stamp.sec for m in heatmaps['left']] == [1, 2]
    right = heatmaps['right'][0]
    assert (right.header.stamp.sec, right.height, right.width) == (3, 24, 32)
    assert gated.calls == 2, 'the left and right frames were not grounded in one forward'


def test_several_actions_from_one_forward_on_their_own_topics(make_node, tiny_grounder, scene):
    gated = GatedGrounder(tiny_grounder)
    gated.gate.set()
    node, probe = make_node(grounder=gated)
    response = probe.call(SetAffordance, '/set_affordance',
                          SetAffordance.Request(actions=['cut', 'hold']))
    assert response.success, response.message
    assert node.get_parameter('actions').value == ['cut', 'hold']
    peaks = {action: probe.subscribe(AffordancePeaks, private_topic(node, f'{action}/peaks'))
             for action in ('cut', 'hold')}
    heatmap = probe.subscribe(Image, private_topic(node, 'cut/heatmap'), IMAGE_QOS)
    probe.publish('/image', image_message(scene, 'bgr8', header(3)))
    probe.spin_until(lambda: all(peaks.values()) and heatmap, "both actions' outputs")
    assert [peaks[a][0].action for a in ('cut', 'hold')] == ['cut', 'hold']
    assert {peaks[a][0].header.stamp.sec for a in peaks} == {3} and gated.calls == 1
    refused = probe.call(SetAffordance, '/set_affordance',
                         SetAffordance.Request(actions=['cut', 'fly']))
    assert not refused.success and "unknown action 'fly'" in refused.message
    assert set_affordance(probe, 'pour').success
    assert node.get_parameter('actions').value == []


def lifecycle(probe: Probe, transition: int) -> bool:
    request = ChangeState.Request(transition=Transition(id=transition))
    return probe.call(ChangeState, '/looptrans_grounding/change_state', request).success


def lifecycle_state(probe: Probe) -> int:
    return probe.call(GetState, '/looptrans_grounding/get_state',
                      GetState.Request()).current_state.id


def test_managed_node_through_the_lifecycle_services(make_node, scene):
    node, probe = make_node(autostart=False)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    assert probe.node.count_subscribers('/image') == 0
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_INACTIVE
    assert probe.node.count_subscribers('/image') == 0
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)
    out = probe.outputs(node, 'peaks')
    probe.publish('/image', image_message(scene, 'bgr8', header(8)))
    probe.spin_until(lambda: out['peaks'], 'peaks once active')
    assert lifecycle(probe, Transition.TRANSITION_DEACTIVATE)
    probe.spin_until(lambda: probe.node.count_subscribers('/image') == 0,
                     'the image subscription to go')
    assert lifecycle(probe, Transition.TRANSITION_CLEANUP)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)


def test_bad_checkpoint_fails_configure_and_the_process_stays_up(make_node, monkeypatch):
    node, probe = make_node(autostart=False)

    def fail(*args, **kwargs):
        raise CheckpointError('checkpoint not found: /missing.pth')
    monkeypatch.setattr(node_module, 'load_default_grounder', fail)
    rosout = probe.outputs(node, 'rosout')['rosout']
    assert not lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    probe.spin_until(lambda: any('checkpoint not found: /missing.pth' in text for text in
                                 warnings_of(node, rosout, level=40)), 'the reason on /rosout')


def test_a_bomb_frame_beside_a_good_one_leaves_the_good_one_grounded(
        make_node, tiny_grounder, scene):
    gated = GatedGrounder(tiny_grounder)
    node, probe = make_node(grounder=gated, image_qos='reliable', image_transport='compressed',
                            camera_names=['left', 'right'])
    heatmaps = {camera: probe.subscribe(Image, private_topic(node, f'{camera}/heatmap'),
                                        IMAGE_QOS) for camera in ('left', 'right')}
    probe.publish('/right/image/compressed', compressed_message(scene, header(1)))
    try:
        probe.spin_until(lambda: gated.calls == 1, 'inference on the first frame')
        bomb = compressed_message(scene, header(2))
        bomb.data = png_declaring(100_000, 100_000)
        probe.publish('/left/image/compressed', bomb)
        probe.publish('/right/image/compressed', compressed_message(scene, header(3)))
        probe.spin_until(lambda: node.pipeline.counts().received == 3, 'both frames')
    finally:
        gated.gate.set()
    probe.spin_until(lambda: len(heatmaps['right']) == 2, 'the good frames grounded')
    probe.spin_for(0.2)
    assert not heatmaps['left'] and [m.header.stamp.sec for m in heatmaps['right']] == [1, 3]
    counts = node.pipeline.counts()
    assert (counts.received, counts.processed, counts.rejected) == (3, 2, 1)


def test_depth_with_camera_names_is_refused_at_start_up(make_node):
    with pytest.raises(ValueError, match='use_depth needs a single camera'):
        make_node(use_depth=True, camera_names=['left'])


def test_main_exits_non_zero_on_a_bad_checkpoint(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise CheckpointError('checkpoint not found: /missing.pth')
    monkeypatch.setattr(node_module, 'load_default_grounder', fail)
    assert node_module.main([]) == 1
    assert 'checkpoint:=' in capsys.readouterr().err and not rclpy.ok()


def test_main_spins_until_shutdown(monkeypatch, tiny_grounder):
    monkeypatch.setattr(node_module, 'load_default_grounder', lambda *a, **k: (tiny_grounder, []))
    result = []
    thread = threading.Thread(target=lambda: result.append(node_module.main([])))
    thread.start()
    context = Context()
    rclpy.init(context=context)
    probe = Probe([], context=context)
    try:
        diagnostics = probe.subscribe(DiagnosticArray, '/diagnostics')
        probe.spin_until(lambda: any('looptrans_grounding' in status.name for m in diagnostics
                                     for status in m.status), 'diagnostics from the spinning node')
    finally:
        probe.close()
        rclpy.try_shutdown(context=context)
    rclpy.shutdown()
    thread.join(timeout=10)
    assert result == [0]
