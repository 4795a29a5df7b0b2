"""Rate-limited warnings: a camera sending garbage at 100 Hz must not flood the log.

rclpy's `throttle_duration_sec` throttles per call site, and every frame problem is logged from
one call site, so one kind of bad frame would hide another; this limits per kind of message.
"""
import re
import threading
import time
from typing import Callable, Dict, Tuple

DIGITS = re.compile(r'\d+')


class LogLimiter:
    """Log at most one message of a kind per `period_s`; say how many were held back.

    Messages of one kind differ only in their numbers ("step 10 is below ...").

    Args:
        log: where a message goes, e.g. a logger's `warning`.
        period_s: the shortest time between two messages of one kind.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(self, log: Callable[[str], None], period_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.period_s, self.clock = log, period_s, clock
        self._lock = threading.Lock()
        self._kinds: Dict[str, Tuple[float, int]] = {}

    def __call__(self, text: str) -> None:
        """Log `text` unless one of its kind was logged less than `period_s` ago."""
        kind, now = DIGITS.sub('#', text), self.clock()
        with self._lock:
            last, held = self._kinds.get(kind, (float('-inf'), 0))
            if now - last < self.period_s:
                self._kinds[kind] = (last, held + 1)
                return
            self._kinds[kind] = (now, 0)
        self.log(text + (f' ({held} more like it held back)' if held else ''))
