"""The stand-in's in-process transport: what DDS does for rclpy, inside one process.

Routes each published message (a copy, as a subscriber of a real middleware gets) to every
subscription of the topic whose QoS matches, keeps the history of transient-local publishers
for late subscribers, carries service requests and responses, and wakes waiting executors.
One bus serves every context, like one DDS domain.
"""
from collections import defaultdict
import copy
import threading

from rclpy.qos import DurabilityPolicy, ReliabilityPolicy


def compatible(offered, requested) -> bool:
    """Whether a publisher's QoS (`offered`) matches a subscription's, by DDS rules."""
    if (requested.reliability == ReliabilityPolicy.RELIABLE
            and offered.reliability == ReliabilityPolicy.BEST_EFFORT):
        return False
    return not (requested.durability == DurabilityPolicy.TRANSIENT_LOCAL
                and offered.durability != DurabilityPolicy.TRANSIENT_LOCAL)


class Bus:
    """Topics, services and a condition that executors wait on; every method is thread-safe."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self._publishers = defaultdict(list)
        self._subscriptions = defaultdict(list)
        self._services = {}

    def notify(self) -> None:
        """Wake the executors waiting for work."""
        with self.changed:
            self.changed.notify_all()

    def add_publisher(self, publisher) -> None:
        """Announce a publisher."""
        with self.changed:
            self._publishers[publisher.topic_name].append(publisher)

    def add_subscription(self, subscription) -> None:
        """Announce a subscription; a transient-local one gets the matched publishers' history."""
        with self.changed:
            self._subscriptions[subscription.topic_name].append(subscription)
            for publisher in self._publishers[subscription.topic_name]:
                if compatible(publisher.qos_profile, subscription.qos_profile):
                    for message in publisher.history:
                        subscription.deliver(copy.deepcopy(message))
            self.changed.notify_all()

    def add_service(self, service) -> None:
        """Announce a service server."""
        with self.changed:
            self._services[service.srv_name] = service
            self.changed.notify_all()

    def remove(self, entity) -> None:
        """Withdraw a publisher, subscription or service."""
        with self.changed:
            for table in (self._publishers, self._subscriptions):
                for entities in table.values():
                    if entity in entities:
                        entities.remove(entity)
            if self._services.get(getattr(entity, 'srv_name', None)) is entity:
                del self._services[entity.srv_name]

    def publish(self, publisher, message) -> None:
        """Hand a copy of `message` to every matched subscription of the publisher's topic."""
        with self.changed:
            publisher.history.append(message)
            for subscription in self.matched(publisher):
                subscription.deliver(copy.deepcopy(message))
            self.changed.notify_all()

    def matched(self, publisher) -> list:
        """Return the subscriptions whose QoS matches `publisher`'s on its topic."""
        with self.changed:
            return [subscription for subscription in self._subscriptions[publisher.topic_name]
                    if compatible(publisher.qos_profile, subscription.qos_profile)]

    def count(self, topic: str, kind: str) -> int:
        """Return the number of 'publishers' or 'subscriptions' on `topic`, whatever their QoS."""
        with self.changed:
            table = self._publishers if kind == 'publishers' else self._subscriptions
            return len(table[topic])

    def service(self, srv_name: str):
        """Return the server of `srv_name`, or None."""
        with self.changed:
            return self._services.get(srv_name)


BUS = Bus()
"""The one bus of the process."""
