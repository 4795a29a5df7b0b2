"""Several cameras in one pipeline: their newest frames are grounded in one forward."""
import time
from types import SimpleNamespace

import pytest

from looptrans_ros.camera_slots import CameraSlots
from looptrans_ros.grounding_pipeline import Frame, GroundingPipeline
from looptrans_ros.image_codec import ImageFormatError


class CountingGrounder:
    """Wraps a Grounder and records the number of images of every ground() call (1: one array)."""

    def __init__(self, grounder) -> None:
        self.grounder, self.batches = grounder, []

    def __getattr__(self, name):
        return getattr(self.grounder, name)

    def ground(self, images, *args, **kwargs):
        self.batches.append(len(images) if isinstance(images, list) else 1)
        return self.grounder.ground(images, *args, **kwargs)


def decode(message) -> Frame:
    """Test messages are namespaces holding a header and the BGR pixels, or None (malformed)."""
    if message.image is None:
        raise ImageFormatError('no pixels')
    return Frame(message.header, message.image)


def message(image, sec: int) -> SimpleNamespace:
    return SimpleNamespace(header=SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=0)),
                           image=image)


@pytest.fixture
def pipeline(tiny_grounder):
    published, warnings = [], []
    pipeline = GroundingPipeline(CountingGrounder(tiny_grounder), 'hold', decode,
                                 published.append, warnings.append,
                                 cameras=['left', 'right'])
    return pipeline, published, warnings


def test_waiting_frames_of_two_cameras_go_through_one_forward(pipeline, scene):
    pipeline, published, _ = pipeline
    small = scene[:24, :32].copy()
    for sec in (1, 2, 3):
        pipeline.submit(message(scene, sec), 'left')
    pipeline.submit(message(small, 10), 'right')
    items = pipeline.slot.take_all(timeout=0)
    groundings = pipeline.step(items)
    assert pipeline.grounder.batches == [2]
    assert [g.camera for g in published] == ['left', 'right']
    assert groundings['left'].frame.header.stamp.sec == 3
    assert groundings['left'].result.heatmap.shape == scene.shape[:2]
    assert groundings['right'].result.heatmap.shape == small.shape[:2]
    slots = pipeline.slot.slots
    assert (slots['left'].dropped, slots['right'].dropped) == (2, 0)
    counts = pipeline.stats.snapshot(pipeline.slot.received, pipeline.slot.dropped)
    assert (counts.received, counts.processed, counts.dropped) == (4, 2, 2)


def test_a_rejected_frame_leaves_the_other_camera_grounded(pipeline, scene):
    pipeline, published, warnings = pipeline
    pipeline.submit(message(None, 1), 'left')
    pipeline.submit(message(scene, 2), 'right')
    assert list(pipeline.step(pipeline.slot.take_all(timeout=0))) == ['right']
    assert pipeline.grounder.batches == [1] and len(published) == 1
    assert 'rejected a frame: no pixels' in warnings[0]


def test_worker_grounds_whichever_cameras_have_frames(pipeline, scene):
    pipeline, published, _ = pipeline
    pipeline.start()
    try:
        pipeline.submit(message(scene, 1), 'right')
        deadline = time.monotonic() + 20.0
        while not published and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        pipeline.stop()
    assert [g.camera for g in published] == ['right']


def test_unknown_and_repeated_cameras_are_refused():
    slots = CameraSlots(['left'])
    with pytest.raises(ValueError, match="unknown camera 'top'; cameras: \\['left'\\]"):
        slots.put('top', object())
    with pytest.raises(ValueError, match='distinct'):
        CameraSlots(['left', 'left'])
