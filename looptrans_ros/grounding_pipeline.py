"""The ROS-free heart of the node and the bag tool: messages in, groundings out.

The node submits each camera's messages from its callbacks and a worker thread grounds the
newest of every camera in one forward; the bag tool calls `process` frame by frame. Both hand
each Grounding to a `publish` callback (publishers, or a bag writer).
"""
from dataclasses import dataclass
import queue
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from looptrans_core import AffordanceMap, Grounder, PreparedBatch
from looptrans_ros.camera_slots import CameraSlots, SINGLE_CAMERA
from looptrans_ros.conversion import Bridge, CODEC_ONLY, MessageDecoder
from looptrans_ros.diagnostics import Counts, PipelineStats
from looptrans_ros.goal_serving import GoalServer
from looptrans_ros.goals import ABORTED, Goal, GoalOutcome
from looptrans_ros.grounding_types import Frame, Grounding, Submitted
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.rate_limiter import RateLimiter
from looptrans_ros.settings import Settings
from looptrans_ros.spatial import Lookup, Spatial, spatial_outputs, TransformUnavailable
from looptrans_ros.stage_times import StageTimes

POLL_S = 0.1
"""How often an idle worker checks whether it should stop."""
STOPPED = ('the node stopped grounding (deactivated or shut down); accepted: goals sent to an '
           'active node')


@dataclass
class Batch:
    """Frames taken together, decoded and preprocessed with one settings snapshot.

    `inference_ms` adds up the preprocess, network and post-process times as they pass.
    """

    items: Dict[str, Submitted]
    frames: Dict[str, Frame]
    settings: Settings
    prepared: PreparedBatch
    inference_ms: float


STOP = object()
"""Sent down the hand-offs by `stop`: the thread that takes it ends."""


class GroundingPipeline:
    """Decodes, grounds and counts frames; hands each Grounding to `publish`.

    Started (the node), three threads overlap the work around the network with the network:
    `prepare` decodes and preprocesses the newest frame of each camera once the network is free
    to take another batch, `network` runs the forward pass, `publish` post-processes, publishes
    and counts. They hand batches on through queues of depth 1, so frame N+1 is prepared and
    frame N-1 published while frame N is in the network; a frame waits in its camera slot
    until `prepare` takes it (a newer one replaces it, counted as dropped) and nowhere else,
    so the counts stay exact. `process` (the bag tool) runs the same steps on its own thread.
    One-shot goals (the ~/ground action) are served on the prepare thread, one at a time in
    arrival order; a goal's forward pass and the stream's never run at once (`_network_lock`).

    Args:
        grounder: the model.
        settings: the first settings snapshot; assign `pipeline.settings` to change them.
        publish: called with each Grounding (on the worker thread once `start` ran); it may
            return the milliseconds it spent per stage ('images', 'publish') to be timed.
        warn: logs a problem with one frame; the pipeline goes on with the next.
        bridge: the checked cv_bridge the decoder uses.
        cameras: camera keys; the default is the single camera of a node without names.
        lookup: the tf2 lookup of the node (called on the publish thread); None = no tf2: a
            target frame other than the image's own fails the frame's 3D outputs.
    """

    def __init__(self, grounder: Grounder, settings: Settings,
                 publish: Callable[[Grounding], Optional[Dict[str, float]]],
                 warn: Callable[[str], None],
                 bridge: Bridge = CODEC_ONLY, cameras: Sequence[str] = (SINGLE_CAMERA,),
                 lookup: Optional[Lookup] = None) -> None:
        self.grounder = grounder
        self.settings = settings
        self.publish, self.warn, self.bridge = publish, warn, bridge
        self.cameras = tuple(cameras)
        self.lookup = lookup
        self._slots = CameraSlots(cameras)
        self._stats = PipelineStats()
        self._stages = StageTimes()
        self._limiter = RateLimiter()
        self._goals = GoalServer(self)
        self._network_lock = threading.Lock()
        self._threads: List[threading.Thread] = []

    def submit(self, image: Any, camera: str = SINGLE_CAMERA, depth: Any = None,
               camera_info: Any = None) -> None:
        """Store a camera's frame (with depth and camera_info when synchronised) for the worker.

        A frame whose layout or header is unusable is refused here (counted as rejected and
        logged), so it never takes the place of a good frame; a frame still waiting is
        replaced and counted as dropped.
        """
        stamp = image.header.stamp
        self._stages.add('receive', (time.time() - stamp.sec - stamp.nanosec * 1e-9) * 1000.0)
        self._store(image, camera, depth, camera_info)

    def _store(self, image: Any, camera: str, depth: Any = None, camera_info: Any = None) -> None:
        try:
            self.decoder(self.settings).check(image)
        except ImageFormatError as error:
            self._slots.refuse(camera)
            self._reject(camera, error)
            return
        self._slots.put(camera, Submitted(image, depth, camera_info))

    def submit_goal(self, goal: Goal) -> None:
        """Queue a one-shot goal for the worker; it is served after the goals before it.

        A goal that comes after `stop` (both run on the node's executor) is aborted at once.
        """
        if not self.running:
            goal.finish(GoalOutcome(ABORTED, STOPPED))
            return
        self._goals.put(goal)
        self._slots.wake()

    def counts(self) -> Counts:
        """Frames received, processed, dropped, rejected and failed, and the last timings."""
        return self._stats.snapshot(self._slots.received, self._slots.dropped)

    def camera_counts(self) -> Dict[str, Counts]:
        """Each camera's frames received, processed, dropped, rejected and failed."""
        slots = self._slots.slots
        return self._stats.camera_counts({name: slot.received for name, slot in slots.items()},
                                         {name: slot.dropped for name, slot in slots.items()})

    def stage_medians(self) -> Dict[str, float]:
        """Median milliseconds of each stage of a frame (stage_times.STAGES) over recent ones."""
        return self._stages.medians()

    @property
    def running(self) -> bool:
        """Whether the threads run (between start and stop)."""
        return bool(self._threads)

    @property
    def device(self) -> str:
        """The device the model runs on."""
        return str(self.grounder.device)

    def start(self) -> None:
        """Bring the model to its device and start the three threads (see the class)."""
        self.grounder.resume()
        self._slots.reopen()
        self._prepared, self._inferred = queue.Queue(maxsize=1), queue.Queue(maxsize=1)
        self._free = threading.Semaphore(1)
        self._threads = [threading.Thread(target=target, name=f'looptrans_{name}', daemon=True)
                         for name, target in (('prepare', self._run), ('network', self._infer),
                                              ('publish', self._publish_all))]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop taking frames; ground the batches already taken; free accelerator memory.

        Frames still waiting in the camera slots are kept for a restart.
        """
        self._slots.close()
        if self._threads:
            self._threads[0].join()
            self._prepared.put(STOP)
            for thread in self._threads[1:]:
                thread.join()
            self._threads = []
        self._goals.abort_all(STOPPED)
        self.grounder.suspend()

    def process(self, image: Any, camera: str = SINGLE_CAMERA, depth: Any = None,
                camera_info: Any = None) -> Optional[Grounding]:
        """Ground one frame now, on this thread (the bag tool); None when it was rejected."""
        self._store(image, camera, depth, camera_info)
        batch = self._prepare(self._slots.take_all(timeout=0))
        return self._complete(batch, self._network(batch)).get(camera) if batch else None

    def _run(self) -> None:
        """Run the prepare thread: goals first, then the newest frames once the network is free."""
        while not self._slots.closed:
            if self._goals.serve_queued():
                continue
            settings = self.settings
            self._limiter.max_rate_hz = settings.max_rate_hz if settings.stream else 0.0
            delay = self._limiter.delay()
            if delay > 0:
                time.sleep(min(delay, POLL_S))
                continue
            if not self._free.acquire(timeout=POLL_S):
                continue  # a batch waits for the network: the camera slots keep the newest
            items = self._slots.take_all(timeout=POLL_S)
            if items:
                self._goals.serve_waiting(items)
            stream = self.settings.stream  # read again: it may have changed meanwhile
            if items and not stream:
                self._slots.discard(list(items))  # for goals only: not grounded, so dropped
            batch = self._prepare(items) if items and stream else None
            if batch is None:
                self._free.release()
                continue
            self._limiter.mark_start()
            self._prepared.put(batch)

    def _infer(self) -> None:
        """Run the network thread: each prepared batch through the network, to the publisher."""
        while True:
            batch = self._prepared.get()
            if batch is STOP:
                self._inferred.put((STOP, None))
                return
            self._free.release()
            self._inferred.put((batch, self._network(batch)))

    def _publish_all(self) -> None:
        """Run the publish thread: post-process, publish and count each batch the network ran."""
        while True:
            batch, raw = self._inferred.get()
            if batch is STOP:
                return
            if raw is not None:
                self._complete(batch, raw)

    def _prepare(self, items: Dict[str, Submitted]) -> Optional['Batch']:
        """Decode and preprocess with one settings snapshot; None when no frame is left."""
        settings = self.settings
        decoder = self.decoder(settings)
        with self._stages.timed('decode'):
            frames = {camera: frame for camera, frame in
                      ((camera, self._decode(decoder, item, camera))
                       for camera, item in items.items()) if frame is not None}
        if not frames:
            return None
        try:
            start = time.perf_counter()
            prepared = self.grounder.prepare(
                [frame.pixels for frame in frames.values()], settings.grounded_actions,
                channel_order=[frame.channel_order for frame in frames.values()],
                peak_config=settings.peak_config)
        except Exception as error:  # noqa: B902 - one bad frame must not stop the node
            self._failed(frames, error)
            return None
        return Batch(items, frames, settings, prepared, self._timed('preprocess', start))

    def _network(self, batch: 'Batch') -> Optional[Any]:
        """Return the raw maps of `batch`; None (frames counted failed) when the network raised."""
        try:
            start = time.perf_counter()
            with self._network_lock:
                raw = self.grounder.network(batch.prepared)
        except Exception as error:  # noqa: B902 - one bad frame must not stop the node
            self._failed(batch.frames, error)
            return None
        batch.inference_ms += self._timed('network', start)
        return raw

    def ground_now(self, pixels: List[np.ndarray], actions: Sequence[str], channel_order: str,
                   settings: Settings) -> List[Dict[str, AffordanceMap]]:
        """Ground images at once for a goal, never beside the stream's forward pass."""
        with self._network_lock:
            return self.grounder.ground_batch(pixels, list(actions), channel_order=channel_order,
                                              peak_config=settings.peak_config)

    def _timed(self, stage: str, start: float) -> float:
        """Record the milliseconds since `start` (perf_counter) as `stage`; return them."""
        ms = (time.perf_counter() - start) * 1000.0
        self._stages.add(stage, ms)
        return ms

    def _complete(self, batch: 'Batch', raw: Any) -> Dict[str, Grounding]:
        """Post-process and publish `batch`; count each frame; return its groundings."""
        done: Dict[str, Grounding] = {}
        if raw is None:
            return done
        try:
            self._ground(batch, raw, done)
        except Exception as error:  # noqa: B902 - one bad frame must not stop the node
            self._failed({c: f for c, f in batch.frames.items() if c not in done}, error)
        return done

    def _failed(self, frames: Dict[str, Frame], error: Exception) -> None:
        self._stats.failed(list(frames))
        self.warn(f'grounding a frame failed: {error!r}')

    def _ground(self, batch: 'Batch', raw: Any, done: Dict[str, Grounding]) -> None:
        """Post-process `batch`; publish each frame and add it to `done` once counted."""
        settings = batch.settings
        start = time.perf_counter()
        results = self.grounder.finish(batch.prepared, raw)
        inference_ms = batch.inference_ms + self._timed('postprocess', start)
        for (camera, frame), result in zip(batch.frames.items(), results):
            try:
                spatial = self.spatial(frame, result, settings, settings.target_frame,
                                       settings.transform_timeout_s)
            except TransformUnavailable as error:
                self._stats.tf_failed()
                self.warn(f'3D outputs skipped: {error}')
                spatial = dict.fromkeys(result)
            grounding = Grounding(camera, frame, result, spatial, settings)
            for stage, ms in (self.publish(grounding) or {}).items():
                self._stages.add(stage, ms)
            self._stats.processed(inference_ms,
                                  (time.monotonic() - batch.items[camera].arrived) * 1000.0,
                                  camera)
            done[camera] = grounding

    def decoder(self, settings: Settings) -> MessageDecoder:
        """Return the message decoder of `settings`."""
        return MessageDecoder(self.bridge, settings.depth_scale, settings.max_image_pixels)

    def _reject(self, camera: str, error: ImageFormatError) -> None:
        self._stats.rejected(camera)
        self.warn(f'rejected a frame: {error}')

    def _decode(self, decoder: MessageDecoder, item: Submitted,
                camera: str) -> Optional[Frame]:
        """Return the frame of `item`; None when its colour image is refused (counted, logged).

        Refused depth or camera_info (counted as depth_rejected, logged) leaves a frame without
        depth: it is grounded, and its peaks have no positions.
        """
        try:
            frame = Frame.decoded(decoder, item.image)
        except ImageFormatError as error:
            self._reject(camera, error)
            return None
        if item.depth is None:
            return frame
        try:
            return frame.with_depth(decoder, item.depth, item.camera_info)
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
