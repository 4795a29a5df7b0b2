"""The rclpy behaviour the node tests rely on, checked on whichever rclpy imports.

On a ROS 2 machine these pin down what real rclpy does; without ROS the same tests hold the
stand-in in fake_rclpy/ to it.
"""
from looptrans_interfaces.srv import SetAffordance
from node_harness import Probe, warnings_of
import pytest
import rclpy
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

RELIABLE, BEST_EFFORT = ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT


@pytest.fixture
def probe():
    """Return a Probe with no node under test, on a fresh default context."""
    rclpy.init()
    probe = Probe([])
    yield probe
    probe.close()
    rclpy.try_shutdown()


@pytest.mark.parametrize('offered, requested, matched', [
    (RELIABLE, BEST_EFFORT, 1), (BEST_EFFORT, BEST_EFFORT, 1), (BEST_EFFORT, RELIABLE, 0)])
def test_reliability_decides_whether_endpoints_match(probe, offered, requested, matched):
    node = probe.node
    publisher = node.create_publisher(String, 'qos', QoSProfile(depth=1, reliability=offered))
    node.create_subscription(String, 'qos', [].append,
                             QoSProfile(depth=1, reliability=requested))
    probe.spin_until(lambda: node.count_subscribers('qos') == 1, 'the subscription')
    probe.spin_for(0.05)
    assert publisher.get_subscription_count() == matched


def test_transient_local_history_reaches_a_late_subscription(probe):
    latched = QoSProfile(depth=2, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    publisher = probe.node.create_publisher(String, '/latched', latched)
    for text in ('a', 'b', 'c'):
        publisher.publish(String(data=text))
    received = probe.subscribe(String, '/latched', latched)
    probe.spin_until(lambda: len(received) == 2, 'the two kept messages')
    assert [message.data for message in received] == ['b', 'c']


def test_service_call_completes_a_future(probe):
    def answer(request, response):
        response.success, response.message = True, request.action.upper()
        return response
    probe.node.create_service(SetAffordance, '/contract_service', answer)
    response = probe.call(SetAffordance, '/contract_service', SetAffordance.Request(action='cut'))
    assert response.success and response.message == 'CUT'


def test_private_names_namespaces_and_remaps(probe):
    node = Node('talker', namespace='/robot', context=probe.node.context,
                cli_args=['--ros-args', '-r', 'raw:=/camera/image_raw'])
    try:
        node.create_publisher(String, '~/out', 1)
        node.create_publisher(String, 'relative', 1)
        node.create_publisher(String, 'raw', 1)
        names = ('/robot/talker/out', '/robot/relative', '/camera/image_raw', '/robot/raw')
        probe.spin_until(lambda: probe.node.count_publishers(names[0]) == 1, 'the publishers')
        assert [probe.node.count_publishers(name) for name in names] == [1, 1, 1, 0]
        assert node.get_logger().name == 'robot.talker'
    finally:
        node.destroy_node()


def test_log_records_reach_rosout(probe):
    node = Node('logging_node', context=probe.node.context)
    try:
        node.get_logger().warning('careful')
        rosout = probe.outputs(node, 'rosout')['rosout']
        probe.spin_until(lambda: warnings_of(node, rosout) == ['careful'], 'the record')
    finally:
        node.destroy_node()
