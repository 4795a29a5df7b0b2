"""The ROS-free pipeline: decode, one forward for every camera and action, settings, counts."""
from dataclasses import fields
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from looptrans_ros.camera_slots import CameraSlots
from looptrans_ros.grounding_pipeline import GroundingPipeline
from looptrans_ros.image_codec import encode_image
from looptrans_ros.parameters import SPECS
from looptrans_ros.settings import Settings


class CountingGrounder:
    """Wraps a Grounder and records the channel orders of every batch it prepares."""

    def __init__(self, grounder) -> None:
        self.grounder, self.batches = grounder, []

    def __getattr__(self, name):
        return getattr(self.grounder, name)

    def prepare(self, images, *args, channel_order, **kwargs):
        self.batches.append(list(channel_order))
        return self.grounder.prepare(images, *args, channel_order=channel_order, **kwargs)


def message(pixels: np.ndarray, sec: int, encoding: str = 'bgr8') -> SimpleNamespace:
    """Return an Image-like message of `pixels` (as any message library has it)."""
    fields_ = encode_image(pixels, encoding)
    stamp = SimpleNamespace(sec=sec, nanosec=0)
    return SimpleNamespace(header=SimpleNamespace(stamp=stamp, frame_id='camera_optical'),
                           **vars(fields_))


@pytest.fixture
def pipeline(tiny_grounder):
    published, warnings = [], []
    pipeline = GroundingPipeline(CountingGrounder(tiny_grounder), Settings(), published.append,
                                 warnings.append, cameras=['left', 'right'])
    return pipeline, published, warnings


def test_settings_are_every_runtime_parameter_by_name():
    runtime = [spec.name for spec in SPECS if not (spec.read_only or spec.at_configure)]
    assert [field.name for field in fields(Settings)] == runtime
    settings = Settings().updated({'actions': ['cut', 'hold'], 'num_peaks': 1, 'device': 'x'})
    assert settings.grounded_actions == ('cut', 'hold') and settings.peak_config.num_peaks == 1
    assert Settings(action='pour').grounded_actions == ('pour',)


def test_waiting_frames_of_two_cameras_go_through_one_forward(pipeline, scene):
    pipeline, published, _ = pipeline
    small = scene[:24, :32].copy()
    for sec in (1, 2, 3):
        pipeline.submit(message(scene, sec), 'left')
    pipeline.submit(message(small[..., ::-1].copy(), 10, 'rgb8'), 'right')
    assert pipeline.process(message(scene, 4), 'left') is not None  # takes every waiting frame
    assert pipeline.grounder.batches == [['bgr', 'rgb']], 'frames keep their channel order'
    assert [g.camera for g in published] == ['left', 'right']
    assert published[0].frame.header.stamp.sec == 4
    assert published[1].results['hold'].heatmap.shape == small.shape[:2]
    assert np.array_equal(published[1].frame.bgr(), small)
    counts = pipeline.counts()
    assert (counts.received, counts.processed, counts.dropped) == (5, 2, 3)


def test_several_actions_from_one_forward_with_one_settings_snapshot(pipeline, scene):
    pipeline, published, _ = pipeline
    pipeline.settings = Settings(actions=('cut', 'hold'), num_peaks=1)
    grounding = pipeline.process(message(scene, 1), 'left')
    assert list(grounding.results) == ['cut', 'hold'] and len(pipeline.grounder.batches) == 1
    assert all(len(result.peaks) <= 1 for result in grounding.results.values())
    assert grounding.settings is pipeline.settings
    assert grounding.spatial == {'cut': None, 'hold': None}


def test_a_rejected_frame_leaves_the_other_camera_grounded(pipeline, scene):
    pipeline, published, warnings = pipeline
    pipeline.submit(message(scene, 1), 'left')
    bad = message(scene, 2)
    bad.encoding = 'yuv422'
    assert pipeline.process(bad, 'right') is None
    assert [g.camera for g in published] == ['left']
    assert "rejected a frame: unsupported image encoding 'yuv422'" in warnings[0]
    assert pipeline.counts().rejected == 1
    by_camera = pipeline.camera_counts()
    assert (by_camera['right'].rejected, by_camera['left'].rejected) == (1, 0)
    assert (by_camera['right'].received, by_camera['left'].processed) == (1, 1)


def test_a_failing_step_is_counted_and_the_next_frame_goes_on(pipeline, scene):
    pipeline, published, warnings = pipeline
    pipeline.settings = Settings(action='fly')
    assert pipeline.process(message(scene, 1), 'left') is None
    assert 'grounding a frame failed' in warnings[0] and pipeline.counts().failed == 1
    pipeline.settings = Settings()
    assert pipeline.process(message(scene, 2), 'left') is not None


def test_worker_grounds_whichever_cameras_have_frames_and_restarts(pipeline, scene):
    pipeline, published, _ = pipeline
    for expected in (1, 2):
        pipeline.start()
        try:
            pipeline.submit(message(scene, expected), 'right')
            deadline = time.monotonic() + 20.0
            while len(published) < expected and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            pipeline.stop()
    assert [g.camera for g in published] == ['right', 'right']


class GatedNetwork:
    """A Grounder whose network waits for `gate`; records each batch's stamps as prepared."""

    def __init__(self, grounder) -> None:
        self.grounder, self.gate, self.prepared = grounder, threading.Event(), []

    def __getattr__(self, name):
        return getattr(self.grounder, name)

    def prepare(self, images, *args, **kwargs):
        self.prepared.append(int(images[0][0, 0, 0]))
        return self.grounder.prepare(images, *args, **kwargs)

    def network(self, prepared):
        assert self.gate.wait(timeout=60.0), 'the test never opened the gate'
        return self.grounder.network(prepared)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 20.0
    while not condition():
        assert time.monotonic() < deadline, f'waited 20 s for {what}'
        time.sleep(0.005)


def test_the_next_frame_is_prepared_while_the_network_runs_and_counts_stay_exact(
        tiny_grounder, scene):
    gated, published = GatedNetwork(tiny_grounder), []
    pipeline = GroundingPipeline(gated, Settings(), published.append, lambda text: None)

    def frame(value: int):
        pixels = scene.copy()
        pixels[0, 0, 0] = value
        return message(pixels, value)
    pipeline.start()
    try:
        pipeline.submit(frame(1))
        wait_for(lambda: gated.prepared == [1], 'the first frame in the network')
        pipeline.submit(frame(2))
        wait_for(lambda: gated.prepared == [1, 2], 'the second prepared meanwhile')
        for value in range(3, 11):
            pipeline.submit(frame(value))
        assert pipeline.counts().dropped == 7, 'frames 3-9 replaced in the slot, 10 waits'
        gated.gate.set()
        wait_for(lambda: len(published) == 3, 'three groundings')
    finally:
        gated.gate.set()
        pipeline.stop()
    assert [g.frame.header.stamp.sec for g in published] == [1, 2, 10]
    assert gated.prepared == [1, 2, 10]
    counts = pipeline.counts()
    assert (counts.received, counts.processed, counts.dropped, counts.failed) == (10, 3, 7, 0)
    assert not [t for t in threading.enumerate() if t.name.startswith('looptrans_')]


def test_unknown_and_repeated_cameras_are_refused():
    slots = CameraSlots(['left'])
    with pytest.raises(ValueError, match="unknown camera 'top'; cameras: \\['left'\\]"):
        slots.put('top', object())
    with pytest.raises(ValueError, match='distinct'):
        CameraSlots(['left', 'left'])


def depth_item(pipeline, scene, depth, k):
    """Process one frame with `depth` and a camera_info of matrix `k` through the pipeline."""
    info = SimpleNamespace(k=k)
    pipeline.submit(message(scene, 1), 'left', depth=message(depth, 1, '32FC1'),
                    camera_info=info)
    return pipeline.process(message(scene, 2), 'right')


@pytest.mark.parametrize('depth_size, k, reason', [
    ((48, 64), [0.0, 0, 32, 0, 50, 24, 0, 0, 1], 'positive focal lengths'),
    ((48, 64), [float('nan'), 0, 32, 0, 50, 24, 0, 0, 1], 'finite'),
    ((24, 32), [50.0, 0, 32, 0, 50, 24, 0, 0, 1], 'is not the size of the colour image'),
])
def test_unusable_depth_or_k_is_refused_and_the_frame_grounded_without_positions(
        pipeline, scene, depth_size, k, reason):
    pipeline, published, warnings = pipeline
    depth_item(pipeline, scene, np.ones(depth_size, np.float32), k)
    left = next(g for g in published if g.camera == 'left')
    assert left.spatial == {'hold': None} and left.frame.depth_m is None
    assert reason in warnings[0] and 'ignoring the depth of a frame' in warnings[0]
    counts = pipeline.counts()
    assert (counts.processed, counts.rejected, counts.depth_rejected) == (2, 0, 1)


def test_good_depth_gives_positions(pipeline, scene):
    pipeline, published, _ = pipeline
    depth_item(pipeline, scene, np.full(scene.shape[:2], 2.0, np.float32),
               [50.0, 0, 32, 0, 50, 24, 0, 0, 1])
    spatial = next(g for g in published if g.camera == 'left').spatial['hold']
    assert spatial.frame_id == 'camera_optical'
    positions = spatial.positions
    assert positions and all(p is None or p[2] == pytest.approx(2.0) for p in positions)
    assert np.allclose(spatial.cloud[:, 2], 2.0)


def test_a_publish_that_fails_for_one_camera_counts_only_that_frame(tiny_grounder, scene):
    published, warnings = [], []

    def publish(grounding):
        if grounding.camera == 'right':
            raise OSError('disk full')
        published.append(grounding)
    pipeline = GroundingPipeline(tiny_grounder, Settings(), publish, warnings.append,
                                 cameras=['left', 'right'])
    pipeline.submit(message(scene, 1), 'left')
    pipeline.process(message(scene, 2), 'right')
    counts = pipeline.counts()
    assert [g.camera for g in published] == ['left'] and 'disk full' in warnings[0]
    assert (counts.received, counts.processed, counts.failed) == (2, 1, 1)
    by_camera = {camera: (c.received, c.processed, c.failed)
                 for camera, c in pipeline.camera_counts().items()}
    assert by_camera == {'left': (1, 1, 0), 'right': (1, 0, 1)}


def test_a_bad_frame_is_refused_on_arrival_and_never_replaces_a_good_one(pipeline, scene):
    pipeline, published, warnings = pipeline
    pipeline.submit(message(scene, 1), 'right')
    truncated = message(scene, 2)
    truncated.data = bytes(truncated.data[:100])
    pipeline.submit(truncated, 'right')
    assert 'rejected a frame: image data has 100 bytes' in warnings[0]
    assert pipeline.process(message(scene, 3), 'left') is not None
    assert [(g.camera, g.frame.header.stamp.sec) for g in published] == [('left', 3), ('right', 1)]
    right = pipeline.camera_counts()['right']
    assert (right.received, right.processed, right.dropped, right.rejected) == (2, 1, 0, 1)


def test_every_stage_of_a_frame_is_timed(tiny_grounder, scene):
    pipeline = GroundingPipeline(tiny_grounder, Settings(),
                                 lambda grounding: {'images': 1.5, 'publish': 0.25},
                                 lambda text: None)
    now = time.time()
    arriving = message(scene, int(now) - 1)  # stamped a second or two ago
    pipeline.submit(arriving)
    assert pipeline.process(message(scene, 2)) is not None
    medians = pipeline.stage_medians()
    assert list(medians) == ['receive', 'decode', 'preprocess', 'network', 'postprocess',
                             'images', 'publish']
    assert 1000.0 <= medians['receive'] <= 3000.0 and medians['images'] == 1.5
    assert all(ms >= 0.0 for ms in medians.values())
