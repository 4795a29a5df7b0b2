"""Stand-in rclpy.clock.Clock and rclpy.time.Time (system time only)."""
import time


class Time:
    """A clock reading in nanoseconds."""

    def __init__(self, *, seconds=0, nanoseconds: int = 0, clock_type=None) -> None:
        self.nanoseconds = int(seconds * 10**9) + nanoseconds

    def to_msg(self):
        """Return a builtin_interfaces/Time."""
        from builtin_interfaces.msg import Time as TimeMsg
        return TimeMsg(sec=self.nanoseconds // 10**9, nanosec=self.nanoseconds % 10**9)


class Clock:
    """The system clock."""

    def now(self) -> Time:
        """Return the current time."""
        return Time(nanoseconds=time.time_ns())
