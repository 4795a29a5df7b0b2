"""bench.node_rate's bookkeeping: every frame sent is processed, dropped or rejected."""
from dataclasses import replace

import numpy as np

from bench.node_rate import ACTION, decode, run_rate, scene_messages, stamped
from looptrans_core.grounder import AffordanceMap
from looptrans_core.peaks import PeakConfig


class FakeGrounder:
    """Returns an empty map at once; the pipeline only calls `ground` and reads `peak_config`."""

    peak_config = PeakConfig()

    def ground(self, image, actions, **_):
        return {ACTION: AffordanceMap(ACTION, np.zeros(image.shape[:2], np.float32), [], None)}


def test_every_frame_is_processed_or_dropped():
    messages = scene_messages(count=2)
    result = run_rate(FakeGrounder(), rate_hz=2000.0, num_frames=200, messages=messages)
    assert result['accounted'] and result['received'] == 200 and result['rejected'] == 0
    assert result['processed'] + result['dropped'] == 200
    assert result['processed'] >= 1  # the last frame is never replaced, so it is processed
    assert result['latency_ms_median'] >= 0.0


def test_malformed_frames_are_counted_as_rejected():
    bad = replace(scene_messages(count=1)[0], encoding='yuv422')
    result = run_rate(FakeGrounder(), rate_hz=2000.0, num_frames=50, messages=[bad])
    assert result['accounted'] and result['processed'] == 0
    assert result['rejected'] >= 1 and result['rejected'] + result['dropped'] == 50
    assert 'latency_ms_median' not in result


def test_stamped_message_decodes_to_a_bgr_frame():
    message = stamped(scene_messages(count=1)[0], 12.25)
    frame = decode(message)
    assert (message.header.stamp.sec, message.header.stamp.nanosec) == (12, 250_000_000)
    assert frame.image_bgr.shape == (480, 640, 3) and frame.image_bgr.dtype == np.uint8
