"""The pipeline's one-shot goals, served on its worker thread one at a time in arrival order.

A goal that carries its image is served as soon as it is first in line; one without waits for
the next camera frame that arrives after it was accepted (the stream keeps going meanwhile,
or, with `stream` off, frames are used for goals only).
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from looptrans_core import Peak
from looptrans_ros.goals import (ABORTED, CANCELED, Goal, GoalError, GoalOutcome, GoalQueue,
                                 GROUNDING, PROJECTING, SUCCEEDED, WAITING)
from looptrans_ros.grounding_types import Frame, Grounding, Submitted
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.parameters import action_error
from looptrans_ros.roi import crop, paste_map, Roi, shift_peaks
from looptrans_ros.settings import Settings
from looptrans_ros.spatial import TransformUnavailable


@dataclass(frozen=True)
class PastedMap:
    """A map grounded on a ROI and pasted back: the `heatmap` and `peaks` of the full image."""

    action: str
    peaks: List[Peak]
    heatmap: np.ndarray


class GoalServer:
    """Holds the goals of one GroundingPipeline and serves them with its grounder and settings.

    Args:
        pipeline: the GroundingPipeline (its grounder, settings, decoder, cameras, 3D outputs).
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.queue = GoalQueue()

    def put(self, goal: Goal) -> None:
        """Queue `goal`, or end it at once when its actions or depth are refused.

        One without an image reports that it waits for a frame.
        """
        try:
            self.actions(goal, self.pipeline.settings)
            if (goal.depth is None) != (goal.camera_info is None):
                raise GoalError('a goal gives depth and camera_info together, or neither; '
                                'accepted: both (aligned to the image) or both left empty')
        except GoalError as error:
            goal.finish(GoalOutcome(ABORTED, str(error)))
            return
        if goal.image is None:
            goal.feedback(WAITING)
        self.queue.put(goal)

    def serve_queued(self) -> bool:
        """End the first goal if cancelled or late, or serve it if it has its image.

        Returns whether a goal ended.
        """
        goal = self.queue.head()
        if goal is None:
            return False
        if self._end_if_over(goal):
            return True
        if goal.image is not None:
            return self._end(goal, self.outcome(goal, None))
        return False

    def serve_waiting(self, items: Dict[str, Submitted]) -> None:
        """Serve the first goal on the frame just taken if it waits for one that came after it."""
        goal = self.queue.head()
        item = items.get(self.pipeline.cameras[0])
        if goal is None or goal.image is not None or item is None or item.arrived < goal.accepted:
            return
        if not self._end_if_over(goal):
            self._end(goal, self.outcome(goal, item))

    def _end_if_over(self, goal: Goal) -> bool:
        """End `goal` if it was cancelled or its time ran out; return whether it ended."""
        remaining = goal.remaining_s()
        if goal.cancelled():
            return self._end(goal, GoalOutcome(CANCELED, 'canceled while waiting for a frame'))
        if remaining is not None and remaining <= 0:
            return self._end(goal, GoalOutcome(ABORTED, (
                f'timed out after {goal.timeout_s:g} s waiting for a camera frame on image; '
                'accepted: a goal that carries its image, a running camera, or timeout_s 0 '
                '(no limit)')))
        return False

    def abort_all(self, reason: str) -> None:
        """End every queued goal as aborted with `reason` (the worker stops)."""
        while self.queue.head() is not None:
            self._end(self.queue.head(), GoalOutcome(ABORTED, reason))

    def _end(self, goal: Goal, outcome: GoalOutcome) -> bool:
        self.queue.pop()
        goal.finish(outcome)
        return True

    def outcome(self, goal: Goal, item: Optional[Submitted]) -> GoalOutcome:
        """Ground `goal` on its own image or on camera frame `item`; aborted with the reason."""
        try:
            grounding = self.ground(goal, item)
        except GoalError as error:
            return GoalOutcome(ABORTED, str(error))
        except Exception as error:  # noqa: B902 - one failing goal must not stop the worker
            return GoalOutcome(ABORTED, f'grounding failed: {error!r}')
        located = sum(spatial is not None for spatial in grounding.spatial.values())
        return GoalOutcome(SUCCEEDED, f'grounded {", ".join(grounding.results)} on a '
                           f'{grounding.frame.pixels.shape[1]} x {grounding.frame.pixels.shape[0]}'
                           f' image; 3D outputs for {located} of them', grounding)

    def ground(self, goal: Goal, item: Optional[Submitted]) -> Grounding:
        """Return the Grounding of `goal`; GoalError says what was wrong and what is accepted."""
        settings = self.pipeline.settings
        actions = self.actions(goal, settings)
        goal.feedback(GROUNDING)
        frame = self.frame(goal, item, settings)
        size = frame.pixels.shape[:2]
        roi = checked_roi(goal.roi, size)
        pixels = np.ascontiguousarray(crop(frame.pixels, roi))
        result = self.pipeline.ground_now([pixels], actions, frame.channel_order, settings)[0]
        whole = pixels.shape[:2] == size
        results = {action: result[action] if whole else
                   PastedMap(action, shift_peaks(result[action].peaks, roi),
                             paste_map(result[action].heatmap, roi, size))
                   for action in actions}
        goal.feedback(PROJECTING)
        timeout = settings.transform_timeout_s
        remaining = goal.remaining_s()
        timeout = timeout if remaining is None else max(0.0, min(timeout, remaining))
        try:
            spatial = self.pipeline.spatial(frame, results, settings,
                                            goal.target_frame or settings.target_frame, timeout)
        except TransformUnavailable as error:
            raise GoalError(f"{error}; accepted: a target_frame tf2 can reach from the image's "
                            "frame, or empty (the image's own)") from None
        return Grounding(self.pipeline.cameras[0], frame, results, spatial, settings)

    def actions(self, goal: Goal, settings: Settings) -> Tuple[str, ...]:
        """Return what the goal grounds: its names (else the running ones), checked."""
        actions = goal.actions or settings.grounded_actions
        for action in actions:
            reason = action_error(action, self.pipeline.grounder.affordances)
            if reason:
                raise GoalError(reason)
        if len(set(actions)) != len(actions):
            raise GoalError(f'actions {list(actions)} repeat a name; accepted: distinct names')
        return tuple(actions)

    def frame(self, goal: Goal, item: Optional[Submitted], settings: Settings) -> Frame:
        """Decode the goal's image (or the camera frame), with the goal's depth or the frame's."""
        image = goal.image if item is None else item.image
        depth, info = ((goal.depth, goal.camera_info) if goal.depth is not None or item is None
                       else (item.depth, item.camera_info))
        decoder = self.pipeline.decoder(settings)
        try:
            frame = Frame.decoded(decoder, image)
        except ImageFormatError as error:
            raise GoalError(f'bad image: {error}') from None
        if depth is None:
            return frame
        try:
            return frame.with_depth(decoder, depth, info)
        except ImageFormatError as error:
            raise GoalError(f'bad depth or camera_info: {error}') from None


def checked_roi(roi: Roi, size: Tuple[int, int]) -> Roi:
    """`roi` checked against an image of (height, width) `size`; GoalError when it does not fit."""
    try:
        return roi.checked(size)
    except (ImageFormatError, ValueError) as error:
        raise GoalError(f'bad roi: {error}') from None
