"""Stand-in rclpy.subscription.Subscription: a QoS-sized queue the executor takes from."""
from collections import deque

from rclpy.bus import BUS
from rclpy.qos import HistoryPolicy


class Subscription:
    """Holds received messages (the newest `depth` for KEEP_LAST) until an executor takes one."""

    def __init__(self, msg_type, topic: str, callback, qos_profile, callback_group) -> None:
        self.msg_type, self.topic, self.callback = msg_type, topic, callback
        self.qos_profile, self.callback_group = qos_profile, callback_group
        keep_all = qos_profile.history == HistoryPolicy.KEEP_ALL
        self._queue = deque(maxlen=None if keep_all else max(1, qos_profile.depth))

    @property
    def topic_name(self) -> str:
        """The fully qualified topic."""
        return self.topic

    def deliver(self, message) -> None:
        """Queue a message (called by the bus under its lock); the oldest may be pushed out."""
        self._queue.append(message)

    def take(self):
        """Return a callable running the callback on the oldest message, or None if none."""
        if not self._queue:
            return None
        message = self._queue.popleft()
        return lambda: self.callback(message)

    def destroy(self) -> None:
        """Withdraw from the bus."""
        BUS.remove(self)
