"""ROS-free: one-shot goals in the pipeline, 3D outputs in a target frame, pairing, depth waits."""
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from looptrans_ros.bag_pairing import StampPairing
from looptrans_ros.depth_sync import DepthWait
from looptrans_ros.goals import ABORTED, CANCELED, Goal, SUCCEEDED
from looptrans_ros.grounding_pipeline import GroundingPipeline
from looptrans_ros.image_codec import encode_image
from looptrans_ros.roi import Roi
from looptrans_ros.settings import Settings
from looptrans_ros.spatial import TransformUnavailable

K = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]
WHOLE = Roi(0, 0, 0, 0)


def message(pixels: np.ndarray, sec: int, encoding: str = 'bgr8', frame_id: str = 'camera'):
    header = SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=0), frame_id=frame_id)
    return SimpleNamespace(header=header, **vars(encode_image(pixels, encoding)))


class Recorder:
    """A goal's callbacks: feedback stages, a cancel flag, and the outcome once it ends."""

    def __init__(self) -> None:
        self.stages, self.cancel, self.outcome = [], False, None
        self.ended = threading.Event()

    def goal(self, **fields) -> Goal:
        values = {'actions': ('hold',), 'image': None, 'depth': None, 'camera_info': None,
                  'roi': WHOLE, 'target_frame': '', 'timeout_s': 0.0}
        values.update(fields)
        return Goal(**values, feedback=self.stages.append, cancelled=lambda: self.cancel,
                    finish=self.finish)

    def finish(self, outcome) -> None:
        self.outcome = outcome
        self.ended.set()

    def wait(self):
        assert self.ended.wait(20.0), 'the goal never ended'
        return self.outcome


@pytest.fixture
def running(tiny_grounder):
    """Return (pipeline, published) with the worker running; stopped afterwards."""
    published = []
    pipeline = GroundingPipeline(tiny_grounder, Settings(), published.append, print)
    pipeline.start()
    yield pipeline, published
    pipeline.stop()


def test_a_goal_with_its_image_is_served_without_a_camera(running, scene):
    pipeline, published = running
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal(actions=('cut', 'hold'), image=message(scene, 3)))
    outcome = recorder.wait()
    assert outcome.status == SUCCEEDED and list(outcome.grounding.results) == ['cut', 'hold']
    assert recorder.stages == ['grounding', 'projecting'] and not published


def test_a_goal_waits_for_a_frame_that_comes_after_it(running, scene, tiny_grounder):
    pipeline, published = running
    pipeline.settings = Settings(max_rate_hz=0.5)  # the stream's second frame waits 2 s
    pipeline.submit(message(scene, 1))
    deadline = time.monotonic() + 20.0
    while not published and time.monotonic() < deadline:
        time.sleep(0.01)
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal())
    time.sleep(0.3)
    assert recorder.outcome is None and recorder.stages == ['waiting_for_frame']
    pipeline.submit(message(scene, 2))
    outcome = recorder.wait()
    assert outcome.status == SUCCEEDED and outcome.grounding.frame.header.stamp.sec == 2


@pytest.mark.parametrize('fields, status, fragment', [
    ({'timeout_s': 0.2}, ABORTED, 'timed out after 0.2 s'),
    ({'actions': ('fly',)}, ABORTED, "unknown action 'fly'"),
    ({'actions': ('cut', 'cut')}, ABORTED, 'repeat a name'),
    ({'roi': Roi(0, 0, 100, 10)}, ABORTED, 'bad roi: roi'),
    ({'target_frame': 'base_link'}, ABORTED, "no tf2 here to transform 'camera' into "
                                             "'base_link'"),
])
def test_bad_goals_end_aborted_with_the_reason(running, scene, fields, status, fragment):
    pipeline, _ = running
    recorder = Recorder()
    needs_image = 'roi' in fields or 'target_frame' in fields
    depth = message(np.full((48, 64), 2.0, np.float32), 1, '32FC1')
    extra = ({'image': message(scene, 1), 'depth': depth, 'camera_info': SimpleNamespace(k=K)}
             if needs_image else {})
    pipeline.submit_goal(recorder.goal(**fields, **extra))
    outcome = recorder.wait()
    assert outcome.status == status and fragment in outcome.message, outcome.message


def test_cancel_while_waiting(running):
    pipeline, _ = running
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal())
    recorder.cancel = True
    assert recorder.wait().status == CANCELED


def test_stream_off_grounds_only_goals(running, scene):
    pipeline, published = running
    pipeline.settings = Settings(stream=False)
    pipeline.submit(message(scene, 1))
    time.sleep(0.3)
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal())
    pipeline.submit(message(scene, 2))
    assert recorder.wait().status == SUCCEEDED
    assert not published and pipeline.counts().processed == 0
    deadline = time.monotonic() + 5.0
    while pipeline.counts().dropped < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    counts = pipeline.counts()
    assert (counts.received, counts.dropped) == (2, 2), 'frames taken but not grounded count'


def test_stopping_aborts_the_waiting_goals(tiny_grounder):
    pipeline = GroundingPipeline(tiny_grounder, Settings(), print, print)
    pipeline.start()
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal())
    pipeline.stop()
    assert recorder.wait().status == ABORTED and 'stopped grounding' in recorder.outcome.message


def test_a_goal_after_stop_ends_aborted_at_once(tiny_grounder):
    pipeline = GroundingPipeline(tiny_grounder, Settings(), print, print)
    recorder = Recorder()
    pipeline.submit_goal(recorder.goal())
    assert recorder.wait().status == ABORTED and 'stopped grounding' in recorder.outcome.message


def test_3d_outputs_go_through_the_looked_up_transform(tiny_grounder, scene):
    published, warnings, asked = [], [], []
    shift = np.eye(4)
    shift[:3, 3] = (1.0, 2.0, 3.0)

    def lookup(target, source, stamp, timeout_s):
        asked.append((target, source, stamp.sec, timeout_s))
        if target == 'nowhere':
            raise TransformUnavailable('no transform')
        return shift

    pipeline = GroundingPipeline(tiny_grounder, Settings(target_frame='base_link'),
                                 published.append, warnings.append, lookup=lookup)
    depth = message(np.full((48, 64), 2.0, np.float32), 5, '32FC1')
    grounding = pipeline.process(message(scene, 5), depth=depth,
                                 camera_info=SimpleNamespace(k=K))
    spatial = grounding.spatial['hold']
    assert asked == [('base_link', 'camera', 5, 0.1)] and spatial.frame_id == 'base_link'
    assert all(p is None or p[2] == pytest.approx(5.0) for p in spatial.positions)
    assert np.allclose(spatial.cloud[:, 2], 5.0) and len(spatial.cloud)
    assert all(a is None or np.allclose(a.z_axis, (0, 0, 1)) for a in spatial.approaches)
    pipeline.settings = Settings(target_frame='nowhere')
    grounding = pipeline.process(message(scene, 6), depth=depth,
                                 camera_info=SimpleNamespace(k=K))
    assert grounding.spatial == {'hold': None} and pipeline.counts().tf_failed == 1
    assert warnings == ['3D outputs skipped: no transform'] and grounding.results['hold'].peaks


def test_stamp_pairing_waits_for_the_depth_of_the_same_stamp():
    pairing = StampPairing(window=2)
    frame = [message(np.zeros((2, 2, 3), np.uint8), sec) for sec in range(5)]
    depth = [message(np.zeros((2, 2), np.float32), sec, '32FC1') for sec in range(5)]
    assert pairing.camera_info('info') == []
    assert pairing.colour(10, frame[0]) == []
    assert pairing.depth(depth[0]) == [(10, frame[0], depth[0], 'info')]
    assert pairing.depth(depth[1]) == [] and pairing.colour(11, frame[1])[0][2] is depth[1]
    for sec in (2, 3, 4):
        ready = pairing.colour(10 + sec, frame[sec])
    assert ready == [(12, frame[2], None, None)], 'past the window a frame goes without depth'
    assert pairing.flush() == [(13, frame[3], None, None), (14, frame[4], None, None)]


def test_depth_wait_counts_frames_that_waited_over_a_second():
    now = [0.0]
    wait = DepthWait(clock=lambda: now[0])
    wait.colour((1, 0))
    wait.colour((2, 0))
    now[0] = 0.5
    wait.matched((1, 0))
    assert wait.expire() == 0
    now[0] = 1.2
    assert wait.expire() == 1 and wait.expire() == 0 and wait.waited == 1
    assert not wait.stalled(), 'a frame was paired 0.7 s ago: one lost depth is no stall'
    now[0] = 1.6
    assert wait.stalled()
