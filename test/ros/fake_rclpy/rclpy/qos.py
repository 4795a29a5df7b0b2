"""Stand-in QoS classes with rclpy's names and keyword arguments."""
from enum import IntEnum


class ReliabilityPolicy(IntEnum):
    """Reliability."""

    SYSTEM_DEFAULT = 0
    RELIABLE = 1
    BEST_EFFORT = 2


class HistoryPolicy(IntEnum):
    """History."""

    SYSTEM_DEFAULT = 0
    KEEP_LAST = 1
    KEEP_ALL = 2


class DurabilityPolicy(IntEnum):
    """Durability."""

    SYSTEM_DEFAULT = 0
    TRANSIENT_LOCAL = 1
    VOLATILE = 2


class QoSProfile:
    """A QoS profile; like rclpy, it needs `history` or `depth`."""

    def __init__(self, **kwargs) -> None:
        if 'history' not in kwargs and 'depth' not in kwargs:
            raise TypeError('History and/or depth settings are required to create a QoS profile')
        self.history = kwargs.get('history', HistoryPolicy.KEEP_LAST)
        self.depth = kwargs.get('depth', 0)
        self.reliability = kwargs.get('reliability', ReliabilityPolicy.RELIABLE)
        self.durability = kwargs.get('durability', DurabilityPolicy.VOLATILE)
        unknown = set(kwargs) - {'history', 'depth', 'reliability', 'durability', 'lifespan',
                                 'deadline', 'liveliness', 'liveliness_lease_duration',
                                 'avoid_ros_namespace_conventions'}
        if unknown:
            raise TypeError(f'unexpected QoSProfile arguments {sorted(unknown)}')


qos_profile_sensor_data = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5,
                                     reliability=ReliabilityPolicy.BEST_EFFORT)
qos_profile_system_default = QoSProfile(depth=10)
qos_profile_services_default = QoSProfile(depth=10)


def as_profile(qos_profile) -> QoSProfile:
    """Return a QoSProfile for a profile or an int depth, as the create_* methods accept."""
    if isinstance(qos_profile, QoSProfile):
        return qos_profile
    if isinstance(qos_profile, int) and not isinstance(qos_profile, bool):
        return QoSProfile(depth=qos_profile)
    raise TypeError(f'qos_profile must be a QoSProfile or int depth, got {qos_profile!r}')
