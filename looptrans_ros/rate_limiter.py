"""A minimum interval between inference runs, from a maximum rate in Hz (0 = unlimited)."""
import time
from typing import Callable, Optional


class RateLimiter:
    """Say how long to wait so that runs start at most `max_rate_hz` times a second."""

    def __init__(self, max_rate_hz: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_start: Optional[float] = None
        self.max_rate_hz = max_rate_hz

    @property
    def max_rate_hz(self) -> float:
        """The rate limit in Hz; 0 means no limit."""
        return self._max_rate_hz

    @max_rate_hz.setter
    def max_rate_hz(self, value: float) -> None:
        if value < 0:
            raise ValueError(f'max_rate_hz must be >= 0 (0 = no limit), got {value}')
        self._max_rate_hz = float(value)

    def delay(self) -> float:
        """Seconds to wait before the next run may start (0 when it may start now)."""
        if self._max_rate_hz == 0 or self._last_start is None:
            return 0.0
        return max(0.0, self._last_start + 1.0 / self._max_rate_hz - self._clock())

    def mark_start(self) -> None:
        """Record that a run starts now."""
        self._last_start = self._clock()
