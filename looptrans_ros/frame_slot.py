"""The newest-frame slot: a producer stores frames, one worker takes the newest; nothing queues."""
import threading
from typing import Generic, Optional, TypeVar

T = TypeVar('T')


class LatestFrameSlot(Generic[T]):
    """Hold at most one frame; storing over an untaken frame replaces it and counts a drop.

    Thread-safe for any number of producers and one or more consumers.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: Optional[T] = None
        self._full = False
        self._closed = False
        self.received = 0
        self.dropped = 0

    def put(self, frame: T) -> bool:
        """Store `frame`; return True when it replaced a frame nobody had taken."""
        with self._condition:
            replaced = self._full
            self.received += 1
            self.dropped += int(replaced)
            self._frame, self._full = frame, True
            self._condition.notify()
            return replaced

    def refuse(self) -> None:
        """Count a frame that arrived but was refused before it could be stored."""
        with self._condition:
            self.received += 1

    def discard(self) -> None:
        """Count a taken frame as dropped: it was not grounded (goals only, `stream` off)."""
        with self._condition:
            self.dropped += 1

    def take(self, timeout: Optional[float] = None) -> Optional[T]:
        """Remove and return the newest frame, waiting up to `timeout` s; None if none came."""
        with self._condition:
            self._condition.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            frame, self._frame, self._full = self._frame, None, False
            return frame

    def close(self) -> None:
        """Wake every waiting consumer; later `take` calls return at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def reopen(self) -> None:
        """Undo `close`: consumers wait for frames again (a restarted worker)."""
        with self._condition:
            self._closed = False

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed
