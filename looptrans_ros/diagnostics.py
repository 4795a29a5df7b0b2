"""Counters and timings of the grounding pipeline, and their /diagnostics key-value pairs."""
from dataclasses import dataclass, replace
import threading
from typing import Dict, Iterable, List, Tuple

from looptrans_ros.camera_slots import SINGLE_CAMERA


@dataclass(frozen=True)
class Counts:
    """A snapshot of the pipeline's counters and last timings."""

    received: int = 0
    processed: int = 0
    dropped: int = 0
    rejected: int = 0
    failed: int = 0
    depth_rejected: int = 0
    tf_failed: int = 0
    inference_ms: float = 0.0
    end_to_end_ms: float = 0.0


class PipelineStats:
    """Thread-safe counters: frames processed, rejected and failed, and the last timings.

    Frame counts are kept in total and per camera (`camera_counts`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = Counts()
        self._by_camera: Dict[str, Counts] = {}

    def _count(self, camera: str, what: str) -> None:
        """Add one to counter `what` of the total and of `camera`; call with the lock held."""
        self._counts = replace(self._counts, **{what: getattr(self._counts, what) + 1})
        mine = self._by_camera.get(camera, Counts())
        self._by_camera[camera] = replace(mine, **{what: getattr(mine, what) + 1})

    def processed(self, inference_ms: float, end_to_end_ms: float,
                  camera: str = SINGLE_CAMERA) -> None:
        """Count a processed frame with its inference and end-to-end (stamp to publish) times."""
        with self._lock:
            self._count(camera, 'processed')
            self._counts = replace(self._counts, inference_ms=inference_ms,
                                   end_to_end_ms=end_to_end_ms)

    def rejected(self, camera: str = SINGLE_CAMERA) -> None:
        """Count a frame that could not be decoded."""
        with self._lock:
            self._count(camera, 'rejected')

    def failed(self, cameras: Iterable[str] = (SINGLE_CAMERA,)) -> None:
        """Count the frames of `cameras` whose grounding or publishing raised, one each."""
        with self._lock:
            for camera in cameras:
                self._count(camera, 'failed')

    def depth_rejected(self) -> None:
        """Count a frame whose depth or camera_info was refused (the frame itself went on)."""
        with self._lock:
            self._counts = replace(self._counts, depth_rejected=self._counts.depth_rejected + 1)

    def tf_failed(self) -> None:
        """Count a frame whose 3D outputs were skipped for want of a transform."""
        with self._lock:
            self._counts = replace(self._counts, tf_failed=self._counts.tf_failed + 1)

    def snapshot(self, received: int, dropped: int) -> Counts:
        """Return the counters, with the frame slot's received and dropped counts filled in."""
        with self._lock:
            return replace(self._counts, received=received, dropped=dropped)

    def camera_counts(self, received: Dict[str, int],
                      dropped: Dict[str, int]) -> Dict[str, Counts]:
        """Return each camera's frame counts, with its slot's received and dropped filled in."""
        with self._lock:
            return {camera: replace(self._by_camera.get(camera, Counts()),
                                    received=received[camera], dropped=dropped[camera])
                    for camera in received}


def diagnostic_summary(counts: Counts, stream: bool = True) -> Tuple[bool, str]:
    """(ok, message) for the status: a warning until frames arrive and get processed."""
    if not stream:
        return True, 'stream off: only goals of the ground action are grounded'
    if counts.received == 0:
        return False, 'no image received yet; is the image topic remapped to the camera?'
    if counts.processed == 0:
        return False, f'{counts.received} frame(s) received, none processed yet'
    return True, f'grounding at {counts.inference_ms:.1f} ms per frame'


def diagnostic_values(counts: Counts, device: str, action: str, stream: bool = True,
                      waiting_for_depth: int = 0) -> List[Tuple[str, str]]:
    """Key-value pairs of a diagnostic_msgs/DiagnosticStatus."""
    return [
        ('inference_ms', f'{counts.inference_ms:.2f}'),
        ('end_to_end_ms', f'{counts.end_to_end_ms:.2f}'),
        ('frames_received', str(counts.received)),
        ('frames_processed', str(counts.processed)),
        ('frames_dropped', str(counts.dropped)),
        ('frames_rejected', str(counts.rejected)),
        ('frames_failed', str(counts.failed)),
        ('depth_rejected', str(counts.depth_rejected)),
        ('frames_waiting_for_depth', str(waiting_for_depth)),
        ('tf_failed', str(counts.tf_failed)),
        ('device', device),
        ('action', action),
        ('stream', str(stream).lower()),
    ]


def lost_values(lost: Dict[str, int]) -> List[Tuple[str, str]]:
    """`frames_lost` (all cameras) and each named camera's `<camera>/frames_lost`.

    The middleware's count of frames lost before the node's subscription (rclpy's message_lost
    event), where it reports them; Cyclone DDS on Jazzy reported none in our soak, so there
    compare the cameras' frames sent with `frames_received`.
    """
    return [('frames_lost', str(sum(lost.values())))] + [
        (f'{camera}/frames_lost', str(count)) for camera, count in lost.items() if camera]


CAMERA_COUNTS = ('received', 'processed', 'dropped', 'rejected', 'failed')
"""The frame counts /diagnostics gives per named camera, as `<camera>/frames_<count>`."""


def camera_values(by_camera: Dict[str, Counts]) -> List[Tuple[str, str]]:
    """Key-value pairs of each named camera's frame counts (none for the unnamed camera)."""
    return [(f'{camera}/frames_{name}', str(getattr(counts, name)))
            for camera, counts in by_camera.items() if camera
            for name in CAMERA_COUNTS]
