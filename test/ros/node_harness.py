"""Talk to a node the way a second node would, through public rclpy API only.

A Probe is a node of its own beside the node under test, on the same executor: it publishes
the inputs, subscribes to the outputs, calls services with call_async and spins until what it
waits for arrives.
"""
import time
from typing import Callable, Dict, List, Optional, Tuple
import unittest

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
import launch_testing.asserts
from looptrans_interfaces.action import Ground
from looptrans_interfaces.msg import AffordancePeaks
import numpy as np
from rcl_interfaces.msg import Log
import rclpy
from rclpy.action import ActionClient
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from looptrans_ros.image_codec import encode_compressed, encode_image

WAIT_S = 20.0
"""Longest wait for anything; tests normally get there in well under a second."""
STARTUP_S = 90.0
"""Longest wait for a launched node's first output: it loads torch and the model first, which
took over 20 s on a test machine with a load average of 7."""
WARN = 30
"""rcl_interfaces/msg/Log level of warnings."""
ROSOUT_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""Matches rcl's /rosout publishers, so a late subscriber still gets the earlier records."""
IMAGE_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
"""Matches the node's best-effort image outputs (output_qos)."""
OUTPUTS = {'heatmap': Image, 'overlay': Image, 'peaks': AffordancePeaks,
           'peak_point': PointStamped, 'markers': MarkerArray}
"""The grounding node's private (`~/name`) output topics and their types."""


def output_qos(msg_type) -> object:
    """Return the QoS a probe subscribes to a node output of `msg_type` with."""
    return IMAGE_QOS if msg_type is Image else 10


def header(sec: int, nanosec: int = 0, frame_id: str = 'camera_optical') -> Header:
    """Return a std_msgs/Header."""
    return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def image_message(pixels: np.ndarray, encoding: str, stamp: Header) -> Image:
    """Return a sensor_msgs/Image of `pixels`."""
    fields = encode_image(pixels, encoding)
    return Image(header=stamp, height=fields.height, width=fields.width, encoding=encoding,
                 is_bigendian=0, step=fields.step, data=bytes(fields.data))


def compressed_message(image_bgr: np.ndarray, stamp: Header) -> CompressedImage:
    """Return a JPEG sensor_msgs/CompressedImage."""
    return CompressedImage(header=stamp, format='jpeg', data=encode_compressed(image_bgr))


def camera_info(stamp: Header, k) -> CameraInfo:
    """Return a sensor_msgs/CameraInfo with camera matrix `k`."""
    return CameraInfo(header=stamp, height=48, width=64, k=np.asarray(k, np.float64))


def private_topic(node: Node, name: str) -> str:
    """Return the topic `~/name` of `node` resolves to."""
    return f'{node.get_namespace().rstrip("/")}/{node.get_name()}/{name}'


class Probe:
    """A second node spun with the nodes under test by one executor.

    Args:
        nodes: the nodes under test; the executor spins them with the probe.
        context: the probe's context; by default the first node's, else the default one.
    """

    def __init__(self, nodes: List[Node], context=None) -> None:
        context = context or (nodes[0].context if nodes else None)
        self.nodes = nodes
        self.node = Node('looptrans_test_probe', context=context)
        self.executor = SingleThreadedExecutor(context=context)
        for node in [*nodes, self.node]:
            self.executor.add_node(node)
        self._publishers = {}
        self._clients = {}

    def subscribe(self, msg_type, topic: str, qos=10) -> list:
        """Subscribe to `topic`; return the list its messages are appended to.

        Waits until every publisher of the nodes under test on `topic` has matched the
        subscription, so nothing they publish afterwards is missed.
        """
        received = []
        self.node.create_subscription(msg_type, topic, received.append, qos)
        publishers = [publisher for node in self.nodes for publisher in node.publishers
                      if publisher.topic_name == topic]
        self.spin_until(lambda: all(p.get_subscription_count() for p in publishers),
                        f'the publishers of {topic} to see the probe')
        return received

    def outputs(self, node: Node, *names: str) -> Dict[str, list]:
        """Subscribe to `node`'s outputs `names` (keys of OUTPUTS, 'diagnostics', 'rosout')."""
        topics = {'diagnostics': (DiagnosticArray, '/diagnostics', 10),
                  'rosout': (Log, '/rosout', ROSOUT_QOS)}
        topics.update({name: (msg_type, private_topic(node, name), output_qos(msg_type))
                       for name, msg_type in OUTPUTS.items()})
        return {name: self.subscribe(*topics[name]) for name in names}

    def publish(self, topic: str, message) -> None:
        """Publish `message` on `topic` once a subscription has matched the publisher."""
        if topic not in self._publishers:
            publisher = self.node.create_publisher(type(message), topic, 10)
            self.spin_until(lambda: publisher.get_subscription_count() > 0,
                            f'a subscriber of {topic}')
            self._publishers[topic] = publisher
        self._publishers[topic].publish(message)

    def call(self, srv_type, srv_name: str, request, attempts: int = 1):
        """Call a service and spin until the response arrives; return it.

        A response can be lost while DDS discovery of a just-started node completes (the
        server does not know the client's reader yet): a request that may be repeated is sent
        up to `attempts` times, each waited for WAIT_S / attempts.
        """
        client = self.node.create_client(srv_type, srv_name)
        assert client.wait_for_service(timeout_sec=WAIT_S), f'no {srv_name} service'
        for _ in range(attempts):
            future = client.call_async(request)
            # Not executor.spin_until_future_complete: Jazzy's adds a done callback to the
            # future on every spin, so a long wait leaves thousands of tasks behind (memory
            # tests see it).
            try:
                self.spin_until(future.done, f'a response from {srv_name}', WAIT_S / attempts)
            except AssertionError:
                continue
            self.node.destroy_client(client)
            return future.result()
        raise AssertionError(f'no response from {srv_name} within {WAIT_S} s')

    def send_goal(self, action_name: str, goal, feedback: Optional[list] = None):
        """Send a Ground goal; return its accepted handle; feedback stages go to `feedback`."""
        if action_name not in self._clients:
            self._clients[action_name] = ActionClient(self.node, Ground, action_name)
        client = self._clients[action_name]
        self.spin_until(client.server_is_ready, f'the {action_name} action server')
        future = client.send_goal_async(goal, feedback_callback=None if feedback is None else (
            lambda message: feedback.append(message.feedback.stage)))
        self.spin_until(future.done, f'{action_name} to answer the goal')
        handle = future.result()
        assert handle.accepted, f'{action_name} rejected the goal'
        return handle

    def result(self, handle):
        """Spin until the goal of `handle` ends; return (status, result)."""
        future = handle.get_result_async()
        self.spin_until(future.done, 'the goal to end')
        return future.result().status, future.result().result

    def spin_until(self, condition: Callable[[], bool], what: str = 'the condition',
                   timeout_s: float = WAIT_S) -> None:
        """Spin the nodes until `condition()` holds; fail after `timeout_s` seconds."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, f'waited {timeout_s} s for {what}'
            self.executor.spin_once(timeout_sec=0.01)

    def spin_for(self, seconds: float) -> None:
        """Spin the nodes for `seconds`, letting anything still in flight arrive."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=deadline - time.monotonic())

    def unsubscribe_all(self) -> None:
        """Destroy the probe's subscriptions, so nothing keeps arriving into old lists."""
        for subscription in list(self.node.subscriptions):
            self.node.destroy_subscription(subscription)

    def close(self) -> None:
        """Stop the executor and destroy the probe node."""
        self.executor.shutdown()
        self.node.destroy_node()


class NodesUnderTest:
    """Makes nodes under test, each with a probe beside it, and destroys them all at the end.

    Args:
        node_class: the node to make, e.g. GroundingNode (it takes `parameter_overrides`).
    """

    def __init__(self, node_class: Callable[..., Node]) -> None:
        self.node_class = node_class
        self.made: List[Tuple[Node, Probe]] = []

    def start(self, **parameters) -> Tuple[Node, Probe]:
        """Return a new node with `parameters` as overrides, and its probe."""
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        node = self.node_class(parameter_overrides=overrides)
        self.made.append((node, Probe([node])))
        return self.made[-1]

    def close(self) -> None:
        """Close every probe and destroy every node made."""
        for node, probe in self.made:
            probe.close()
            node.destroy_node()


class CleanShutdownChecks:
    """The post-shutdown checks of a launch test: every node exits 0 and prints no traceback.

    Mixed into a `unittest.TestCase` that the launch test marks `post_shutdown_test`.
    """

    def test_every_node_exits_zero(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)

    def test_no_traceback(self, proc_output):
        text = b''.join(io.text for io in proc_output).decode(errors='replace')
        self.assertNotIn('Traceback', text)
        self.assertNotIn('grounding a frame failed', text)


class ProbeTestCase(unittest.TestCase):
    """A launch test's test case: `self.probe` on a context of its own, shut down afterwards.

    The default context is never touched, so a launch test that fails leaves nothing behind.
    """

    @classmethod
    def setUpClass(cls):
        cls.context = Context()
        rclpy.init(context=cls.context)
        cls.probe = Probe([], context=cls.context)

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()
        rclpy.try_shutdown(context=cls.context)


def warnings_of(node: Node, rosout: list, level: Optional[int] = WARN) -> List[str]:
    """Texts of the /rosout records `node` logged at `level`."""
    name = node.get_logger().name
    return [record.msg for record in rosout if record.name == name and record.level == level]
