"""Stand-in rclpy.publisher.Publisher: type-checked, CDR-serialised, routed by the bus."""
from collections import deque

from rclpy.bus import BUS
from rclpy.qos import DurabilityPolicy

import ros_messages


class Publisher:
    """Publishes on one topic; every message is serialised for Humble and Jazzy first."""

    def __init__(self, msg_type, topic: str, qos_profile) -> None:
        self.msg_type, self.topic, self.qos_profile = msg_type, topic, qos_profile
        latched = qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
        self.history = deque(maxlen=qos_profile.depth if latched else 0)

    @property
    def topic_name(self) -> str:
        """The fully qualified topic."""
        return self.topic

    def publish(self, msg) -> None:
        """Check the type, serialise with both typestores, send to matched subscriptions."""
        if not isinstance(msg, self.msg_type):
            raise TypeError(f'Expected {self.msg_type}, got {type(msg)}')
        ros_messages.serialize_all(msg)
        BUS.publish(self, msg)

    def get_subscription_count(self) -> int:
        """Return the number of subscriptions matched with this publisher."""
        return len(BUS.matched(self))

    def destroy(self) -> None:
        """Withdraw from the bus."""
        BUS.remove(self)
