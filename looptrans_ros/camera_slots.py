"""One newest-frame slot per camera, and a wait that wakes when any of them gets a frame."""
import threading
from typing import Any, Dict, Optional, Sequence

from looptrans_ros.frame_slot import LatestFrameSlot

SINGLE_CAMERA = ''
"""The key of the one camera of a node without `camera_names`."""


class CameraSlots:
    """A LatestFrameSlot per camera; `take_all` returns the newest frame of every camera.

    Args:
        cameras: camera keys, at least one, no repeats.
    """

    def __init__(self, cameras: Sequence[str] = (SINGLE_CAMERA,)) -> None:
        if not cameras or len(set(cameras)) != len(cameras):
            raise ValueError(f'cameras must be distinct and at least one, got {list(cameras)}')
        self.slots: Dict[str, LatestFrameSlot] = {name: LatestFrameSlot() for name in cameras}
        self._ready = threading.Event()
        self._closed = False

    def put(self, camera: str, frame: Any) -> bool:
        """Store `frame` for `camera`; return True when it replaced an untaken frame."""
        replaced = self._slot(camera).put(frame)
        self._ready.set()
        return replaced

    def refuse(self, camera: str) -> None:
        """Count a frame of `camera` that arrived but was refused before storing."""
        self._slot(camera).refuse()

    def discard(self, cameras: Sequence[str]) -> None:
        """Count the frames just taken of `cameras` as dropped (taken, but not grounded)."""
        for camera in cameras:
            self._slot(camera).discard()

    def _slot(self, camera: str) -> LatestFrameSlot:
        slot = self.slots.get(camera)
        if slot is None:
            raise ValueError(f'unknown camera {camera!r}; cameras: {list(self.slots)}')
        return slot

    def take_all(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Wait up to `timeout` s for any frame; return camera -> newest frame, where one came."""
        self._ready.wait(timeout)
        self._ready.clear()
        taken = {name: slot.take(timeout=0) for name, slot in self.slots.items()}
        return {name: frame for name, frame in taken.items() if frame is not None}

    def wake(self) -> None:
        """Wake the waiting worker without a frame (a goal came)."""
        self._ready.set()

    def close(self) -> None:
        """Wake the waiting worker; later `take_all` calls return at once."""
        self._closed = True
        for slot in self.slots.values():
            slot.close()
        self._ready.set()

    def reopen(self) -> None:
        """Undo `close`, for a worker that starts again."""
        self._closed = False
        for slot in self.slots.values():
            slot.reopen()

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    @property
    def received(self) -> int:
        """Frames stored, all cameras together."""
        return sum(slot.received for slot in self.slots.values())

    @property
    def dropped(self) -> int:
        """Frames replaced before they were taken, all cameras together."""
        return sum(slot.dropped for slot in self.slots.values())
