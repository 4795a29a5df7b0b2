"""The ROS-free heart of the node: newest frame in, grounding out, on a worker thread."""
from dataclasses import dataclass, replace
import threading
import time
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from looptrans_core.grounder import AffordanceMap, Grounder
from looptrans_ros.depth_sync import DepthBuffer
from looptrans_ros.diagnostics import PipelineStats
from looptrans_ros.frame_slot import LatestFrameSlot
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.projection import Intrinsics, peak_positions, Point3
from looptrans_ros.rate_limiter import RateLimiter

POLL_S = 0.1
"""How often an idle worker checks whether it should stop."""
PEAK_FIELDS = {'num_peaks': 'num_peaks', 'peak_threshold': 'threshold',
               'peak_min_distance': 'min_distance'}


def stamp_seconds(stamp: Any) -> float:
    """Seconds of a builtin_interfaces/Time."""
    return stamp.sec + stamp.nanosec * 1e-9


@dataclass
class Frame:
    """A decoded colour frame: the message header and the BGR pixels."""

    header: Any
    image_bgr: np.ndarray


@dataclass
class Grounding:
    """One processed frame: the action's map and peaks, and 3D positions when depth is on."""

    frame: Frame
    result: AffordanceMap
    positions: Optional[List[Optional[Point3]]]


class GroundingPipeline:
    """Grounds the newest submitted frame on a worker thread and hands results to `publish`.

    Args:
        grounder: the model.
        action: the affordance to ground (validated by the caller).
        decode: message -> Frame; raises ImageFormatError for malformed messages.
        publish: called on the worker thread with each Grounding.
        warn: logs a problem with a frame (the worker keeps going).
        use_depth: give peaks 3D positions from `depth` and `intrinsics`.
    """

    def __init__(self, grounder: Grounder, action: str, decode: Callable[[Any], Frame],
                 publish: Callable[[Grounding], None], warn: Callable[[str], None],
                 use_depth: bool = False) -> None:
        self.grounder = grounder
        self.action = action
        self.peak_config = grounder.peak_config
        self.decode, self.publish, self.warn = decode, publish, warn
        self.use_depth = use_depth
        self.depth = DepthBuffer()
        self.depth_tolerance_s = 0.05
        self.intrinsics: Optional[Intrinsics] = None
        self.slot: LatestFrameSlot = LatestFrameSlot()
        self.stats = PipelineStats()
        self.limiter = RateLimiter()
        self._thread: Optional[threading.Thread] = None

    def set_option(self, name: str, value: Any) -> None:
        """Apply a validated runtime parameter: action, max_rate_hz, peak settings, depth."""
        if name in PEAK_FIELDS:
            self.peak_config = replace(self.peak_config, **{PEAK_FIELDS[name]: value})
        elif name == 'max_rate_hz':
            self.limiter.max_rate_hz = value
        elif name in ('action', 'depth_tolerance_s'):
            setattr(self, name, value)

    def submit(self, message: Any) -> None:
        """Store a frame message; one still waiting is replaced and counted as dropped."""
        self.slot.put((message, time.monotonic()))

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name='looptrans_worker', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker after the frame it is on."""
        self.slot.close()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self.slot.closed:
            delay = self.limiter.delay()
            if delay > 0:
                time.sleep(min(delay, POLL_S))
                continue
            item = self.slot.take(timeout=POLL_S)
            if item is None:
                continue
            self.limiter.mark_start()
            try:
                self.step(*item)
            except Exception as error:  # noqa: B902 - one bad frame must not stop the node
                self.warn(f'grounding a frame failed: {error!r}')

    def step(self, message: Any, received: float) -> Optional[Grounding]:
        """Decode, ground and publish one frame message; None when it was rejected."""
        try:
            frame = self.decode(message)
        except ImageFormatError as error:
            self.stats.rejected()
            self.warn(f'rejected a frame: {error}')
            return None
        action = self.action
        start = time.perf_counter()
        result = self.grounder.ground(frame.image_bgr, [action], channel_order='bgr',
                                      peak_config=self.peak_config)[action]
        inference_ms = (time.perf_counter() - start) * 1000.0
        grounding = Grounding(frame, result, self.positions(frame, result.peaks))
        self.publish(grounding)
        self.stats.processed(inference_ms, (time.monotonic() - received) * 1000.0)
        return grounding

    def positions(self, frame: Frame, peaks: Sequence) -> Optional[List[Optional[Point3]]]:
        """3D positions of the peaks (None each without valid depth); None when depth is off."""
        if not self.use_depth:
            return None
        depth = self.depth.match(stamp_seconds(frame.header.stamp), self.depth_tolerance_s)
        if depth is None or self.intrinsics is None:
            return [None] * len(peaks)
        return peak_positions(peaks, depth, self.intrinsics, frame.image_bgr.shape[:2])
