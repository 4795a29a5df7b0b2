"""One-shot grounding requests (the node's ~/ground action), without ROS: goal, queue, outcome.

The node turns an action goal into a Goal whose callbacks publish feedback, read the cancel
flag and finish the ROS goal; the pipeline's worker serves Goals one at a time in arrival
order, between stream frames.
"""
from dataclasses import dataclass, field
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

from looptrans_ros.roi import Roi

WAITING, GROUNDING, PROJECTING = 'waiting_for_frame', 'grounding', 'projecting'
"""The stages a goal reports as feedback."""
SUCCEEDED, ABORTED, CANCELED = 'succeeded', 'aborted', 'canceled'


class GoalError(ValueError):
    """A goal that cannot be served: the message says what was wrong and what is accepted."""


@dataclass(frozen=True)
class GoalOutcome:
    """How a goal ended: one of SUCCEEDED, ABORTED, CANCELED, a message and the grounding."""

    status: str
    message: str
    grounding: Optional[Any] = None


@dataclass
class Goal:
    """One request to ground an image once.

    Attributes:
        actions: affordances in the order of the result; empty = the ones grounded now.
        image: the image message to ground; None = the next camera frame after `accepted`.
        depth: depth message aligned to the image; None = the camera frame's (when synchronised).
        camera_info: the image's camera_info; given together with `depth`.
        roi: the region grounded (its maps pasted back into the full image).
        target_frame: frame of the 3D outputs; '' = the target_frame parameter.
        timeout_s: the longest it may wait, from acceptance, for a frame and the transform;
            0 = no limit.
        feedback: called with each stage.
        cancelled: whether the client asked to cancel.
        finish: called once with the GoalOutcome (on the pipeline's worker thread).
        accepted: monotonic time the goal was accepted.
    """

    actions: Tuple[str, ...]
    image: Optional[Any]
    depth: Optional[Any]
    camera_info: Optional[Any]
    roi: Roi
    target_frame: str
    timeout_s: float
    feedback: Callable[[str], None]
    cancelled: Callable[[], bool]
    finish: Callable[[GoalOutcome], None]
    accepted: float = field(default_factory=time.monotonic)

    def remaining_s(self) -> Optional[float]:
        """Seconds left before the goal times out; None without a limit."""
        if self.timeout_s <= 0:
            return None
        return self.accepted + self.timeout_s - time.monotonic()


class GoalQueue:
    """Goals in arrival order; thread-safe (the executor puts, the worker takes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._goals: List[Goal] = []

    def put(self, goal: Goal) -> None:
        """Append `goal`."""
        with self._lock:
            self._goals.append(goal)

    def head(self) -> Optional[Goal]:
        """Return the oldest goal, still queued; None when there is none."""
        with self._lock:
            return self._goals[0] if self._goals else None

    def pop(self) -> None:
        """Remove the oldest goal."""
        with self._lock:
            self._goals.pop(0)

    def __len__(self) -> int:
        with self._lock:
            return len(self._goals)
