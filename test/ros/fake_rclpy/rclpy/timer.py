"""Stand-in rclpy.timer.Timer: a periodic callback the executors fire when due."""
import time


class Timer:
    """Fires `callback` every `timer_period_ns` while an executor spins its node."""

    def __init__(self, callback, callback_group, timer_period_ns: int, autostart=True) -> None:
        self.callback, self.callback_group = callback, callback_group
        self._period_ns = timer_period_ns
        self._next_due = time.monotonic() + timer_period_ns / 1e9
        self._cancelled = not autostart

    @property
    def timer_period_ns(self) -> int:
        """The period in nanoseconds."""
        return self._period_ns

    def cancel(self) -> None:
        """Stop firing."""
        self._cancelled = True

    def is_canceled(self) -> bool:
        """Whether the timer was cancelled."""
        return self._cancelled

    def reset(self) -> None:
        """Start a full period from now."""
        self._cancelled = False
        self._next_due = time.monotonic() + self._period_ns / 1e9

    def time_until_next_call(self):
        """Nanoseconds until due (<= 0 when due), None when cancelled."""
        if self._cancelled:
            return None
        return int((self._next_due - time.monotonic()) * 1e9)

    def take(self):
        """Return a callable firing the timer if it is due, else None."""
        due_in = self.time_until_next_call()
        if due_in is None or due_in > 0:
            return None
        self._next_due = time.monotonic() + self._period_ns / 1e9
        return self.callback

    def destroy(self) -> None:
        """Stop firing."""
        self.cancel()
