"""The ROS-free heart of the node and the bag tool: messages in, groundings out.

The node submits each camera's messages from its callbacks and a worker thread grounds the
newest of every camera in one forward; the bag tool calls `process` frame by frame. Both hand
each Grounding to a `publish` callback (publishers, or a bag writer).
"""
from dataclasses import replace
import threading
import time
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from looptrans_core import AffordanceMap, Grounder
from looptrans_ros.camera_slots import CameraSlots, SINGLE_CAMERA
from looptrans_ros.conversion import Bridge, CODEC_ONLY, MessageDecoder
from looptrans_ros.diagnostics import Counts, PipelineStats
from looptrans_ros.goal_serving import GoalServer
from looptrans_ros.goals import Goal
from looptrans_ros.grounding_types import Frame, Grounding, Submitted
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.rate_limiter import RateLimiter
from looptrans_ros.settings import Settings
from looptrans_ros.spatial import Lookup, Spatial, spatial_outputs, TransformUnavailable

POLL_S = 0.1
"""How often an idle worker checks whether it should stop."""


class GroundingPipeline:
    """Decodes, grounds and counts frames; hands each Grounding to `publish`.

    Args:
        grounder: the model.
        settings: the first settings snapshot; assign `pipeline.settings` to change them.
        publish: called with each Grounding (on the worker thread once `start` ran).
        warn: logs a problem with one frame; the pipeline goes on with the next.
        bridge: the checked cv_bridge the decoder uses.
        cameras: camera keys; the default is the single camera of a node without names.
        lookup: the tf2 lookup of the node (called on the worker thread); None = no tf2: a
            target frame other than the image's own fails the frame's 3D outputs.
    """

    def __init__(self, grounder: Grounder, settings: Settings,
                 publish: Callable[[Grounding], None], warn: Callable[[str], None],
                 bridge: Bridge = CODEC_ONLY, cameras: Sequence[str] = (SINGLE_CAMERA,),
                 lookup: Optional[Lookup] = None) -> None:
        self.grounder = grounder
        self.settings = settings
        self.publish, self.warn, self.bridge = publish, warn, bridge
        self.cameras = tuple(cameras)
        self.lookup = lookup
        self._slots = CameraSlots(cameras)
        self._stats = PipelineStats()
        self._limiter = RateLimiter()
        self._goals = GoalServer(self)
        self._thread: Optional[threading.Thread] = None

    def submit(self, image: Any, camera: str = SINGLE_CAMERA, depth: Any = None,
               camera_info: Any = None) -> None:
        """Store a camera's frame (with depth and camera_info when synchronised) for the worker.

        A frame still waiting is replaced and counted as dropped.
        """
        self._slots.put(camera, Submitted(image, depth, camera_info))

    def submit_goal(self, goal: Goal) -> None:
        """Queue a one-shot goal for the worker; it is served after the goals before it."""
        self._goals.put(goal)
        self._slots.wake()

    def counts(self) -> Counts:
        """Frames received, processed, dropped, rejected and failed, and the last timings."""
        return self._stats.snapshot(self._slots.received, self._slots.dropped)

    @property
    def running(self) -> bool:
        """Whether the worker runs (between start and stop)."""
        return self._thread is not None

    @property
    def device(self) -> str:
        """The device the model runs on."""
        return str(self.grounder.device)

    def start(self) -> None:
        """Bring the model to its device and start the worker thread."""
        self.grounder.resume()
        self._slots.reopen()
        self._thread = threading.Thread(target=self._run, name='looptrans_worker', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker after the frame it is on, then free accelerator memory.

        Frames still waiting are kept for a restart.
        """
        self._slots.close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._goals.abort_all('the node stopped grounding (deactivated or shut down); '
                              'accepted: goals sent to an active node')
        self.grounder.suspend()

    def process(self, image: Any, camera: str = SINGLE_CAMERA, depth: Any = None,
                camera_info: Any = None) -> Optional[Grounding]:
        """Ground one frame now, on this thread (the bag tool); None when it was rejected."""
        self._slots.put(camera, Submitted(image, depth, camera_info))
        return self._step(self._slots.take_all(timeout=0)).get(camera)

    def _run(self) -> None:
        while not self._slots.closed:
            if self._goals.serve_queued():
                continue
            settings = self.settings
            self._limiter.max_rate_hz = settings.max_rate_hz if settings.stream else 0.0
            delay = self._limiter.delay()
            if delay > 0:
                time.sleep(min(delay, POLL_S))
                continue
            items = self._slots.take_all(timeout=POLL_S)
            if items:
                self._goals.serve_waiting(items)
            if items and self.settings.stream:  # read again: it may have changed meanwhile
                self._limiter.mark_start()
                self._step(items)

    def _step(self, items: Dict[str, Submitted]) -> Dict[str, Grounding]:
        """Decode, ground in one forward with one settings snapshot, publish; count each frame."""
        settings = self.settings
        decoder = self.decoder(settings)
        frames = {camera: frame for camera, frame in
                  ((camera, self._decode(decoder, item)) for camera, item in items.items())
                  if frame is not None}
        done: Dict[str, Grounding] = {}
        try:
            self._ground(frames, items, settings, done)
        except Exception as error:  # noqa: B902 - one bad frame must not stop the node
            self._stats.failed(len(frames) - len(done))
            self.warn(f'grounding a frame failed: {error!r}')
        return done

    def _ground(self, frames: Dict[str, Frame], items: Dict[str, Submitted],
                settings: Settings, done: Dict[str, Grounding]) -> None:
        """Ground `frames` in one forward; publish each and add it to `done` once counted."""
        if not frames:
            return
        start = time.perf_counter()
        actions = settings.grounded_actions
        results = self.grounder.ground_batch(
            [frame.pixels for frame in frames.values()], actions,
            channel_order=[frame.channel_order for frame in frames.values()],
            peak_config=settings.peak_config)
        inference_ms = (time.perf_counter() - start) * 1000.0
        for (camera, frame), result in zip(frames.items(), results):
            try:
                spatial = self.spatial(frame, result, settings, settings.target_frame,
                                       settings.transform_timeout_s)
            except TransformUnavailable as error:
                self._stats.tf_failed()
                self.warn(f'3D outputs skipped: {error}')
                spatial = dict.fromkeys(result)
            grounding = Grounding(camera, frame, result, spatial, settings)
            self.publish(grounding)
            self._stats.processed(inference_ms,
                                  (time.monotonic() - items[camera].arrived) * 1000.0)
            done[camera] = grounding

    def decoder(self, settings: Settings) -> MessageDecoder:
        """Return the message decoder of `settings`."""
        return MessageDecoder(self.bridge, settings.depth_scale, settings.max_image_pixels)

    def _decode(self, decoder: MessageDecoder, item: Submitted) -> Optional[Frame]:
        """Return the frame of `item`; None when its colour image is refused (counted, logged).

        Refused depth or camera_info (counted as depth_rejected, logged) leaves a frame without
        depth: it is grounded, and its peaks have no positions.
        """
        try:
            pixels, order = decoder.colour(item.image)
        except ImageFormatError as error:
            self._stats.rejected()
            self.warn(f'rejected a frame: {error}')
            return None
        frame = Frame(item.image.header, pixels, order)
        if item.depth is None:
            return frame
        try:
            return replace(frame, depth_m=decoder.depth(item.depth, pixels.shape[:2]),
                           intrinsics=decoder.intrinsics(item.camera_info))
        except ImageFormatError as error:
            self._stats.depth_rejected()
            self.warn(f'ignoring the depth of a frame: {error}')
            return frame

    def spatial(self, frame: Frame, results: Dict[str, AffordanceMap], settings: Settings,
                target_frame: str, timeout_s: float) -> Dict[str, Optional[Spatial]]:
        """Return the 3D outputs of each action in `target_frame` ('' = the image's).

        Each is None without depth.

        Raises:
            TransformUnavailable: no transform at the image's stamp within `timeout_s`.
        """
        if frame.depth_m is None or frame.intrinsics is None:
            return dict.fromkeys(results)
        source = frame.header.frame_id
        target = target_frame or source
        matrix = (np.eye(4) if target == source
                  else self._transform(target, source, frame, timeout_s))
        rule = (settings.cloud_threshold, settings.cloud_stride)
        return {action: spatial_outputs(result.heatmap, result.peaks, frame.depth_m,
                                        frame.intrinsics, rule, target, matrix)
                for action, result in results.items()}

    def _transform(self, target: str, source: str, frame: Frame, timeout_s: float) -> np.ndarray:
        if self.lookup is None:
            raise TransformUnavailable(f'no tf2 here to transform {source!r} into {target!r}; '
                                       "accepted: an empty target frame (the image's own)")
        return self.lookup(target, source, frame.header.stamp, timeout_s)
