"""Stand-in rclpy.node.Node: parameters, publishers, subscriptions, services, timers, logger."""
import threading
import time

from rcl_interfaces.msg import SetParametersResult
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile

import ros_messages


class Logger:
    """Records every log line as (level, text)."""

    def __init__(self) -> None:
        self.lines = []

    def _log(self, level, message, **kwargs) -> bool:
        self.lines.append((level, str(message)))
        return True

    def debug(self, message, **kwargs):
        """Log at DEBUG."""
        return self._log('debug', message)

    def info(self, message, **kwargs):
        """Log at INFO."""
        return self._log('info', message)

    def warning(self, message, **kwargs):
        """Log at WARN."""
        return self._log('warn', message)

    warn = warning

    def error(self, message, **kwargs):
        """Log at ERROR."""
        return self._log('error', message)

    def fatal(self, message, **kwargs):
        """Log at FATAL."""
        return self._log('fatal', message)


class Time:
    """A clock reading."""

    def __init__(self, nanoseconds: int) -> None:
        self.nanoseconds = nanoseconds

    def to_msg(self):
        """builtin_interfaces/Time."""
        from builtin_interfaces.msg import Time as TimeMsg
        return TimeMsg(sec=self.nanoseconds // 10**9, nanosec=self.nanoseconds % 10**9)


class Clock:
    """The system clock."""

    def now(self) -> Time:
        """Return the current time."""
        return Time(time.time_ns())


class Publisher:
    """Serialises every message (Humble and Jazzy CDR) and keeps it for the tests."""

    def __init__(self, msg_type, topic, qos_profile) -> None:
        self.msg_type, self.topic, self.qos_profile = msg_type, topic, qos_profile
        self.messages = []
        self.subscription_count = 0
        self._lock = threading.Lock()

    def publish(self, msg) -> None:
        """Check the type, serialise, record."""
        if not isinstance(msg, self.msg_type):
            raise TypeError(f'publishing a {type(msg).__name__} on a {self.msg_type.__name__} '
                            f'publisher ({self.topic})')
        ros_messages.serialize_all(msg)
        with self._lock:
            self.messages.append(msg)

    def get_subscription_count(self) -> int:
        """Return the subscriber count the tests set."""
        return self.subscription_count


class Subscription:
    """A registered callback."""

    def __init__(self, msg_type, topic, callback, qos_profile, callback_group) -> None:
        self.msg_type, self.topic, self.callback = msg_type, topic, callback
        self.qos_profile, self.callback_group = qos_profile, callback_group


class Service:
    """A registered service callback."""

    def __init__(self, srv_type, srv_name, callback) -> None:
        self.srv_type, self.srv_name, self.callback = srv_type, srv_name, callback


class Timer:
    """A periodic callback fired by the stand-in executors."""

    def __init__(self, period, callback, callback_group) -> None:
        self.timer_period_ns = int(period * 1e9)
        self.callback, self.callback_group = callback, callback_group
        self.next_due = time.monotonic() + period
        self.cancelled = False

    def cancel(self) -> None:
        """Stop firing."""
        self.cancelled = True


def _check_qos(qos_profile):
    if not isinstance(qos_profile, (QoSProfile, int)):
        raise TypeError(f'qos_profile must be a QoSProfile or int depth, got {qos_profile!r}')
    return qos_profile


class Node:
    """The subset of rclpy.node.Node the grounding node uses, with rclpy's signatures."""

    def __init__(self, node_name, *, context=None, cli_args=None, namespace=None,
                 use_global_arguments=True, enable_rosout=True, start_parameter_services=True,
                 parameter_overrides=None, allow_undeclared_parameters=False,
                 automatically_declare_parameters_from_overrides=False, **kwargs) -> None:
        self._name = node_name
        self._namespace = '/' + (namespace or '').strip('/')
        self._overrides = {p.name: p for p in parameter_overrides or []}
        self._parameters = {}
        self._descriptors = {}
        self._on_set = []
        self._logger = Logger()
        self._clock = Clock()
        self.publishers_by_topic = {}
        self.subscriptions_by_topic = {}
        self.services_by_name = {}
        self.timers_list = []
        self.destroyed = False

    def get_name(self) -> str:
        """Node name."""
        return self._name

    def get_namespace(self) -> str:
        """Node namespace."""
        return self._namespace

    def get_logger(self) -> Logger:
        """Return the node's logger."""
        return self._logger

    def get_clock(self) -> Clock:
        """Return the node's clock."""
        return self._clock

    def resolve_topic_name(self, topic: str, *, only_expand: bool = False) -> str:
        """Expand `~/x` and relative names like rclpy."""
        base = self._namespace.rstrip('/')
        if topic.startswith('~'):
            return f'{base}/{self._name}{topic[1:]}'
        return topic if topic.startswith('/') else f'{base}/{topic}'

    def declare_parameter(self, name, value=None, descriptor=None, ignore_override=False):
        """Declare a parameter; an override given at construction wins over `value`."""
        if name in self._parameters:
            raise RuntimeError(f'parameter {name!r} already declared')
        parameter = self._overrides.get(name) if not ignore_override else None
        parameter = parameter or Parameter(name, value=value)
        if parameter.type_ is not Parameter.Type.from_parameter_value(value):
            raise TypeError(f'parameter {name!r} declared as {type(value).__name__} but '
                            f'overridden with {parameter.value!r}')
        result = self._run_on_set([parameter])
        if not result.successful:
            raise ValueError(f'parameter {name!r} refused: {result.reason}')
        self._parameters[name] = parameter
        self._descriptors[name] = descriptor
        return parameter

    def get_parameter(self, name):
        """Return a declared parameter."""
        if name not in self._parameters:
            raise LookupError(f'parameter {name!r} is not declared')
        return self._parameters[name]

    def add_on_set_parameters_callback(self, callback) -> None:
        """Validate changes with `callback(parameters) -> SetParametersResult`."""
        self._on_set.insert(0, callback)

    def set_parameters(self, parameter_list):
        """Set each parameter in turn; read-only or re-typed ones are refused like rclpy."""
        return [self._set_one(parameter) for parameter in parameter_list]

    def _set_one(self, parameter):
        if parameter.name not in self._parameters:
            return SetParametersResult(successful=False,
                                       reason=f'parameter {parameter.name} not declared')
        descriptor = self._descriptors[parameter.name]
        if descriptor is not None and descriptor.read_only:
            return SetParametersResult(successful=False,
                                       reason='Trying to set a read-only parameter: '
                                              f'{parameter.name}.')
        if parameter.type_ is not self._parameters[parameter.name].type_:
            return SetParametersResult(successful=False, reason='Wrong parameter type, '
                                       f'expected {self._parameters[parameter.name].type_}')
        result = self._run_on_set([parameter])
        if result.successful:
            self._parameters[parameter.name] = parameter
        return result

    def _run_on_set(self, parameters):
        for callback in self._on_set:
            result = callback(parameters)
            if not isinstance(result, SetParametersResult):
                raise TypeError('on-set-parameters callback must return a SetParametersResult')
            if not result.successful:
                return result
        return SetParametersResult(successful=True, reason='')

    def create_publisher(self, msg_type, topic, qos_profile, *, callback_group=None,
                         event_callbacks=None, qos_overriding_options=None,
                         publisher_class=None):
        """Create a publisher that records what it publishes."""
        publisher = Publisher(msg_type, self.resolve_topic_name(topic), _check_qos(qos_profile))
        self.publishers_by_topic[publisher.topic] = publisher
        return publisher

    def create_subscription(self, msg_type, topic, callback, qos_profile, *,
                            callback_group=None, event_callbacks=None,
                            qos_overriding_options=None, raw=False):
        """Register `callback` for `topic`."""
        subscription = Subscription(msg_type, self.resolve_topic_name(topic), callback,
                                    _check_qos(qos_profile), callback_group)
        self.subscriptions_by_topic[subscription.topic] = subscription
        return subscription

    def create_service(self, srv_type, srv_name, callback, *, qos_profile=None,
                       callback_group=None):
        """Register a service callback(request, response) -> response."""
        service = Service(srv_type, self.resolve_topic_name(srv_name), callback)
        self.services_by_name[service.srv_name] = service
        return service

    def create_timer(self, timer_period_sec, callback, callback_group=None, clock=None,
                     autostart=True):
        """Create a timer fired by the stand-in executors."""
        timer = Timer(timer_period_sec, callback, callback_group)
        self.timers_list.append(timer)
        return timer

    def _fire_due_timers(self, now: float) -> None:
        for timer in self.timers_list:
            if not timer.cancelled and now >= timer.next_due:
                timer.next_due = now + timer.timer_period_ns / 1e9
                timer.callback()

    def destroy_node(self) -> None:
        """Release everything."""
        self.destroyed = True
        for timer in self.timers_list:
            timer.cancel()
