"""Stand-in rclpy.node.Node: names, parameters, logger, and entities on the in-process bus."""
from rcl_interfaces.msg import Log
from rclpy.bus import BUS
from rclpy.client import Client
from rclpy.clock import Clock
from rclpy.context import get_default_context
from rclpy.impl.rcutils_logger import RcutilsLogger
from rclpy.names import expand_topic_name, remap_rules
from rclpy.node_parameters import NodeParameters
from rclpy.publisher import Publisher
from rclpy.qos import (as_profile, DurabilityPolicy, qos_profile_services_default, QoSProfile,
                       ReliabilityPolicy)
from rclpy.service import Service
from rclpy.subscription import Subscription
from rclpy.timer import Timer

ROSOUT_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""rcl's /rosout profile: late subscribers get the last 1000 records."""
KINDS = ('publishers', 'subscriptions', 'services', 'clients', 'timers')


class Node(NodeParameters):
    """The subset of rclpy.node.Node our nodes and tests use, with rclpy's signatures."""

    def __init__(self, node_name, *, context=None, cli_args=None, namespace=None,
                 use_global_arguments=True, enable_rosout=True, start_parameter_services=True,
                 parameter_overrides=None, allow_undeclared_parameters=False,
                 automatically_declare_parameters_from_overrides=False, **kwargs) -> None:
        self._context = context or get_default_context()
        if not self._context.ok():
            raise RuntimeError('rclpy.init() has not been called')
        rules = remap_rules(cli_args or [])
        self._name = rules.pop('__node', node_name)
        self._namespace = '/' + rules.pop('__ns', namespace or '').strip('/')
        self._remaps = {self._expand(source): self._expand(target)
                        for source, target in rules.items()}
        self._init_parameters(parameter_overrides)
        self._entities = {kind: [] for kind in KINDS}
        self._clock = Clock()
        self._rosout = None
        if enable_rosout:
            self._rosout = Publisher(Log, '/rosout', ROSOUT_QOS)
            BUS.add_publisher(self._rosout)
        logger_name = '.'.join(self._namespace.strip('/').split('/') + [self._name]).strip('.')
        self._logger = RcutilsLogger(logger_name, self._log_to_rosout if enable_rosout else None)
        self._destroyed = False

    @property
    def context(self):
        """The context the node belongs to."""
        return self._context

    def get_name(self) -> str:
        """Node name."""
        return self._name

    def get_namespace(self) -> str:
        """Node namespace."""
        return self._namespace

    def get_logger(self) -> RcutilsLogger:
        """Return the node's logger."""
        return self._logger

    def get_clock(self) -> Clock:
        """Return the node's clock."""
        return self._clock

    def _expand(self, name: str) -> str:
        return expand_topic_name(name, self._name, self._namespace)

    def resolve_topic_name(self, topic: str, *, only_expand: bool = False) -> str:
        """Expand `~/x` and relative names, then apply the remap rules unless `only_expand`."""
        expanded = self._expand(topic)
        return expanded if only_expand else self._remaps.get(expanded, expanded)

    def _log_to_rosout(self, level: int, name: str, text: str) -> None:
        self._rosout.publish(Log(stamp=self._clock.now().to_msg(), level=level, name=name,
                                 msg=text))

    def _add(self, kind: str, entity):
        self._entities[kind].append(entity)
        if kind in ('publishers', 'subscriptions'):
            getattr(BUS, f'add_{kind[:-1]}')(entity)
        elif kind == 'services':
            BUS.add_service(entity)
        return entity

    def create_publisher(self, msg_type, topic, qos_profile, *, callback_group=None,
                         event_callbacks=None, qos_overriding_options=None,
                         publisher_class=None) -> Publisher:
        """Create a publisher on the resolved `topic`."""
        return self._add('publishers', Publisher(msg_type, self.resolve_topic_name(topic),
                                                 as_profile(qos_profile)))

    def create_subscription(self, msg_type, topic, callback, qos_profile, *,
                            callback_group=None, event_callbacks=None,
                            qos_overriding_options=None, raw=False) -> Subscription:
        """Call `callback(msg)` for messages on the resolved `topic` when spun."""
        return self._add('subscriptions', Subscription(
            msg_type, self.resolve_topic_name(topic), callback, as_profile(qos_profile),
            callback_group))

    def create_service(self, srv_type, srv_name, callback, *,
                       qos_profile=qos_profile_services_default, callback_group=None) -> Service:
        """Answer requests with `callback(request, response) -> response` when spun."""
        return self._add('services', Service(srv_type, self.resolve_topic_name(srv_name),
                                             callback, callback_group))

    def create_client(self, srv_type, srv_name, *, qos_profile=qos_profile_services_default,
                      callback_group=None) -> Client:
        """Create a client of the resolved service `srv_name`."""
        return self._add('clients', Client(srv_type, self.resolve_topic_name(srv_name),
                                           callback_group))

    def create_timer(self, timer_period_sec, callback, callback_group=None, clock=None,
                     autostart=True) -> Timer:
        """Call `callback()` every `timer_period_sec` while spun."""
        return self._add('timers', Timer(callback, callback_group,
                                         int(timer_period_sec * 1e9), autostart))

    publishers = property(lambda self: iter(self._entities['publishers']),
                          doc='The publishers the node created.')
    subscriptions = property(lambda self: iter(self._entities['subscriptions']),
                             doc='The subscriptions the node created.')
    services = property(lambda self: iter(self._entities['services']),
                        doc='The services the node created.')
    clients = property(lambda self: iter(self._entities['clients']),
                       doc='The clients the node created.')
    timers = property(lambda self: iter(self._entities['timers']),
                      doc='The timers the node created.')

    def count_publishers(self, topic_name: str) -> int:
        """Return the number of publishers on `topic_name` (expanded, not remapped)."""
        return BUS.count(self.resolve_topic_name(topic_name, only_expand=True), 'publishers')

    def count_subscribers(self, topic_name: str) -> int:
        """Return the number of subscriptions on `topic_name` (expanded, not remapped)."""
        return BUS.count(self.resolve_topic_name(topic_name, only_expand=True),
                         'subscriptions')

    def take_ready(self):
        """Return a callable for one ready timer, message, request or response, else None.

        Stand-in only: the executors call it under the bus lock.
        """
        if self._destroyed:
            return None
        for kind in ('timers', 'subscriptions', 'services', 'clients'):
            for entity in self._entities[kind]:
                work = entity.take()
                if work is not None:
                    return work
        return None

    def seconds_to_next_timer(self):
        """Seconds until the next timer is due, None without timers (stand-in only)."""
        due = [timer.time_until_next_call() for timer in self._entities['timers']]
        due = [ns for ns in due if ns is not None]
        return min(due) / 1e9 if due and not self._destroyed else None

    def destroy_node(self) -> None:
        """Withdraw every entity from the bus and stop the timers."""
        self._destroyed = True
        for kind in KINDS:
            for entity in self._entities[kind]:
                entity.destroy()
        if self._rosout is not None:
            self._rosout.destroy()
