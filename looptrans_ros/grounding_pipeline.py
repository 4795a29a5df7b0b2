"""The ROS-free heart of the node: newest frame in, grounding out, on a worker thread."""
from dataclasses import dataclass, replace
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from looptrans_core.grounder import AffordanceMap, Grounder
from looptrans_ros.camera_slots import CameraSlots, SINGLE_CAMERA
from looptrans_ros.depth_sync import DepthBuffer
from looptrans_ros.diagnostics import PipelineStats
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.projection import Intrinsics, peak_positions, Point3
from looptrans_ros.rate_limiter import RateLimiter

POLL_S = 0.1
"""How often an idle worker checks whether it should stop."""
PEAK_FIELDS = {'num_peaks': 'num_peaks', 'peak_threshold': 'threshold',
               'peak_min_distance': 'min_distance'}
Received = Tuple[Any, float]
"""A submitted frame message and the monotonic time it arrived."""


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
    """One processed frame: the action's map and peaks, 3D positions when depth is on, camera."""

    frame: Frame
    result: AffordanceMap
    positions: Optional[List[Optional[Point3]]]
    camera: str = SINGLE_CAMERA


class GroundingPipeline:
    """Grounds the newest frame of each camera on a worker thread; hands results to `publish`.

    The newest frames of all cameras that have one are grounded together in one forward.

    Args:
        grounder: the model.
        action: the affordance to ground (validated by the caller).
        decode: message -> Frame; raises ImageFormatError for malformed messages.
        publish: called on the worker thread with each Grounding.
        warn: logs a problem with a frame (the worker keeps going).
        use_depth: give peaks 3D positions from `depth` and `intrinsics`.
        cameras: camera keys; the default is the single camera of a node without names.
    """

    def __init__(self, grounder: Grounder, action: str, decode: Callable[[Any], Frame],
                 publish: Callable[[Grounding], None], warn: Callable[[str], None],
                 use_depth: bool = False,
                 cameras: Sequence[str] = (SINGLE_CAMERA,)) -> None:
        self.grounder = grounder
        self.action = action
        self.peak_config = grounder.peak_config
        self.decode, self.publish, self.warn = decode, publish, warn
        self.use_depth = use_depth
        self.depth = DepthBuffer()
        self.depth_tolerance_s = 0.05
        self.intrinsics: Optional[Intrinsics] = None
        self.slot = CameraSlots(cameras)
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

    def submit(self, message: Any, camera: str = SINGLE_CAMERA) -> None:
        """Store a camera's frame message; one still waiting is replaced and counted as dropped."""
        self.slot.put(camera, (message, time.monotonic()))

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
            items = self.slot.take_all(timeout=POLL_S)
            if not items:
                continue
            self.limiter.mark_start()
            try:
                self.step(items)
            except Exception as error:  # noqa: B902 - one bad frame must not stop the node
                self.stats.failed()
                self.warn(f'grounding a frame failed: {error!r}')

    def step(self, items: Dict[str, Received]) -> Dict[str, Grounding]:
        """Decode camera -> frame message, ground all in one forward, publish each result.

        Returns camera -> Grounding for the frames that decoded; rejected ones are left out.
        """
        frames = {camera: self._decode(message) for camera, (message, _) in items.items()}
        frames = {camera: frame for camera, frame in frames.items() if frame is not None}
        if not frames:
            return {}
        action = self.action
        start = time.perf_counter()
        images = [frame.image_bgr for frame in frames.values()]
        single = len(images) == 1  # one frame: the single-image call, as before cameras
        results = self.grounder.ground(images[0] if single else images, [action],
                                       channel_order='bgr', peak_config=self.peak_config)
        results = [results] if single else results
        inference_ms = (time.perf_counter() - start) * 1000.0
        groundings = {}
        for (camera, frame), result in zip(frames.items(), results):
            grounding = Grounding(frame, result[action],
                                  self.positions(frame, result[action].peaks), camera)
            self.publish(grounding)
            self.stats.processed(inference_ms, (time.monotonic() - items[camera][1]) * 1000.0)
            groundings[camera] = grounding
        return groundings

    def _decode(self, message: Any) -> Optional[Frame]:
        try:
            return self.decode(message)
        except ImageFormatError as error:
            self.stats.rejected()
            self.warn(f'rejected a frame: {error}')
            return None

    def positions(self, frame: Frame, peaks: Sequence) -> Optional[List[Optional[Point3]]]:
        """3D positions of the peaks (None each without valid depth); None when depth is off."""
        if not self.use_depth:
            return None
        depth = self.depth.match(stamp_seconds(frame.header.stamp), self.depth_tolerance_s)
        if depth is None or self.intrinsics is None:
            return [None] * len(peaks)
        return peak_positions(peaks, depth, self.intrinsics, frame.image_bgr.shape[:2])
