"""The ~/ground action through the ROS graph: goals with and without an image, ROI, errors."""
from action_msgs.msg import GoalStatus
from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from looptrans_interfaces.action import Ground
from node_harness import camera_info, header, image_message, NodesUnderTest
import numpy as np
import pytest
from rclpy.action import ActionClient
from sensor_msgs.msg import RegionOfInterest
from sensor_msgs_py.point_cloud2 import read_points_numpy

from looptrans_ros import node as node_module
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.node import GroundingNode

K = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]
ACTION = '/looptrans_grounding/ground'


@pytest.fixture
def make_node(ros_context, monkeypatch, tiny_grounder):
    """Return start(**parameters) -> (node, probe) of a node on the tiny random model."""
    monkeypatch.setattr(node_module, 'load_default_grounder',
                        lambda *args, **kwargs: (tiny_grounder, []))
    nodes = NodesUnderTest(GroundingNode)
    yield nodes.start
    nodes.close()


def heat(message) -> np.ndarray:
    return decode_image(fields_of(message))


def test_a_goal_with_its_image_and_no_camera(make_node, scene, tiny_grounder):
    node, probe = make_node()
    goal = Ground.Goal(actions=['cut', 'hold'], image=image_message(scene, 'bgr8', header(3)))
    status, result = probe.result(probe.send_goal(ACTION, goal))
    assert status == GoalStatus.STATUS_SUCCEEDED, result.message
    assert [p.action for p in result.peaks] == ['cut', 'hold'] and not result.clouds
    expected = tiny_grounder.ground_batch([scene], ['cut', 'hold'], channel_order='bgr')[0]
    for message, action in zip(result.heatmaps, ('cut', 'hold')):
        assert message.header.stamp.sec == 3 and message.encoding == '32FC1'
        assert np.allclose(heat(message), expected[action].heatmap, atol=1e-6)
    assert 'grounded cut, hold on a 64 x 48 image' in result.message


def test_a_goal_with_depth_gets_points_approaches_and_a_cloud(make_node, scene):
    node, probe = make_node()
    stamp = header(4)
    goal = Ground.Goal(actions=['hold'], image=image_message(scene, 'bgr8', stamp),
                       depth=image_message(np.full((48, 64), 1500, np.uint16), '16UC1', stamp),
                       camera_info=camera_info(stamp, K))
    status, result = probe.result(probe.send_goal(ACTION, goal))
    assert status == GoalStatus.STATUS_SUCCEEDED, result.message
    best = result.peaks[0].points[0]
    assert best.has_position and best.has_approach and best.position.z == pytest.approx(1.5)
    assert (best.approach.x, best.approach.y, best.approach.z) == pytest.approx((0, 0, 1))
    cloud = read_points_numpy(result.clouds[0], field_names=('x', 'y', 'z', 'heat'))
    assert len(cloud) and np.allclose(cloud[:, 2], 1.5) and (cloud[:, 3] >= 0.5).all()
    assert result.clouds[0].header.frame_id == 'camera_optical'


def test_an_empty_image_waits_for_the_next_frame_with_feedback(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'heatmap')
    probe.publish('/image', image_message(scene, 'bgr8', header(7)))
    probe.spin_until(lambda: out['heatmap'], 'the heat map of a frame before the goal')
    feedback = []
    handle = probe.send_goal(ACTION, Ground.Goal(actions=['hold']), feedback)
    probe.spin_for(0.5)
    assert feedback == ['waiting_for_frame']
    probe.publish('/image', image_message(scene, 'bgr8', header(8)))
    status, result = probe.result(handle)
    assert status == GoalStatus.STATUS_SUCCEEDED and result.heatmaps[0].header.stamp.sec == 8
    probe.spin_until(lambda: len(out['heatmap']) == 2, 'the stream to go on')
    assert feedback == ['waiting_for_frame', 'grounding', 'projecting']


def test_a_roi_is_grounded_and_pasted_back(make_node, scene, tiny_grounder):
    node, probe = make_node()
    goal = Ground.Goal(actions=['hold'], image=image_message(scene, 'bgr8', header(3)),
                       roi=RegionOfInterest(x_offset=16, y_offset=8, width=32, height=24))
    status, result = probe.result(probe.send_goal(ACTION, goal))
    assert status == GoalStatus.STATUS_SUCCEEDED, result.message
    values = heat(result.heatmaps[0])
    assert values.shape == (48, 64)
    crop = tiny_grounder.ground_batch([scene[8:32, 16:48].copy()], ['hold'],
                                      channel_order='bgr')[0]['hold']
    assert np.allclose(values[8:32, 16:48], crop.heatmap, atol=1e-6)
    outside = values.copy()
    outside[8:32, 16:48] = 0
    assert not outside.any()
    for point, peak in zip(result.peaks[0].points, crop.peaks):
        assert (point.u, point.v) == pytest.approx((peak.u + 16, peak.v + 8))


@pytest.mark.parametrize('goal, fragment', [
    (Ground.Goal(actions=['fly']), "unknown action 'fly'; valid actions: "),
    (Ground.Goal(timeout_s=0.3), 'timed out after 0.3 s waiting for a camera frame'),
    (Ground.Goal(roi=RegionOfInterest(x_offset=60, width=10, height=10)), 'bad roi: roi'),
    (Ground.Goal(depth=image_message(np.ones((48, 64), np.float32), '32FC1', header(1))),
     'a goal gives depth and camera_info together'),
])
def test_bad_goals_are_aborted_with_what_is_accepted(make_node, scene, goal, fragment):
    node, probe = make_node()
    if 'roi' in fragment or 'depth' in fragment:
        goal.image = image_message(scene, 'bgr8', header(1))
    status, result = probe.result(probe.send_goal(ACTION, goal))
    assert status == GoalStatus.STATUS_ABORTED and fragment in result.message, result.message
    assert 'accepted' in result.message or 'valid actions' in result.message


def test_a_malformed_image_is_aborted(make_node, scene):
    node, probe = make_node()
    image = image_message(scene, 'bgr8', header(2))
    image.step -= 1
    status, result = probe.result(probe.send_goal(ACTION, Ground.Goal(image=image)))
    assert status == GoalStatus.STATUS_ABORTED
    assert result.message.startswith('bad image: step 191 is below'), result.message


def test_cancel_while_waiting_for_a_frame(make_node):
    node, probe = make_node()
    feedback = []
    handle = probe.send_goal(ACTION, Ground.Goal(), feedback)
    probe.spin_until(lambda: feedback, 'the goal to wait for a frame')
    cancel = handle.cancel_goal_async()
    probe.spin_until(cancel.done, 'the cancel to be answered')
    assert len(cancel.result().goals_canceling) == 1
    status, result = probe.result(handle)
    assert status == GoalStatus.STATUS_CANCELED and 'canceled' in result.message


def test_goals_are_served_in_arrival_order_while_the_stream_goes_on(make_node, scene):
    node, probe = make_node()
    out = probe.outputs(node, 'heatmap')
    waiting = probe.send_goal(ACTION, Ground.Goal(actions=['cut']))
    carrying = probe.send_goal(ACTION, Ground.Goal(actions=['hold'], image=image_message(
        scene, 'bgr8', header(30))))
    ended = []
    for name, handle in (('waiting', waiting), ('carrying', carrying)):
        handle.get_result_async().add_done_callback(lambda _, name=name: ended.append(name))
    probe.spin_for(0.5)
    assert not ended, 'the goal with an image went before the one that came first'
    probe.publish('/image', image_message(scene, 'bgr8', header(31)))
    probe.spin_until(lambda: len(ended) == 2 and out['heatmap'], 'both goals and the stream')
    assert ended == ['waiting', 'carrying'] and out['heatmap'][0].header.stamp.sec == 31


def test_stream_off_publishes_nothing_per_frame_and_answers_goals(make_node, scene):
    node, probe = make_node(stream=False)
    out = probe.outputs(node, 'heatmap', 'peaks')
    diagnostics = probe.subscribe(DiagnosticArray, '/diagnostics')
    for sec in (40, 41, 42):
        probe.publish('/image', image_message(scene, 'bgr8', header(sec)))
        probe.spin_for(0.3)
    handle = probe.send_goal(ACTION, Ground.Goal(actions=['hold']))
    probe.spin_for(0.2)
    probe.publish('/image', image_message(scene, 'bgr8', header(43)))
    status, result = probe.result(handle)
    assert status == GoalStatus.STATUS_SUCCEEDED and result.heatmaps[0].header.stamp.sec == 43
    probe.spin_until(lambda: diagnostics, '/diagnostics')
    probe.spin_for(0.5)
    assert not out['heatmap'] and not out['peaks']
    counts = node.pipeline.counts()
    assert counts.received == 4 and counts.processed == 0, 'the stream spent model time'
    values = {v.key: v.value for v in diagnostics[-1].status[0].values}
    status = diagnostics[-1].status[0]
    assert values['stream'] == 'false' and status.level == status.OK


def test_deactivating_aborts_a_waiting_goal_and_an_inactive_node_rejects_goals(make_node):
    node, probe = make_node()
    handle = probe.send_goal(ACTION, Ground.Goal())
    deactivate = ChangeState.Request(transition=Transition(id=Transition.TRANSITION_DEACTIVATE))
    assert probe.call(ChangeState, '/looptrans_grounding/change_state', deactivate).success
    status, result = probe.result(handle)
    assert status == GoalStatus.STATUS_ABORTED and 'stopped grounding' in result.message
    future = ActionClient(probe.node, Ground, ACTION).send_goal_async(Ground.Goal())
    probe.spin_until(future.done, 'the inactive node to answer the goal')
    assert not future.result().accepted
