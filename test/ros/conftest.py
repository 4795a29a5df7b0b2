"""Node tests on a real ROS 2: rclpy, Cyclone DDS, launch (source /opt/ros/<distro>/setup.bash)."""
import os
import random
from typing import Optional

import pytest
from ros_required import missing

# Tests talk over DDS on this machine only, in a domain of their own, so nodes started by hand
# (or another test run) cannot answer them. Set before rclpy starts; launched nodes inherit it.
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('ROS_DOMAIN_ID', str(random.SystemRandom().randint(1, 100)))

try:
    import rclpy
    NO_ROS: Optional[str] = None
except ImportError as error:
    NO_ROS = f'rclpy does not import ({error}): source /opt/ros/<distro>/setup.bash'


class SkippedWithoutRos(pytest.File):
    """A test file here on a machine without ROS: skipped as a whole, before it imports rclpy."""

    def collect(self):
        missing(NO_ROS, module_level=True)
        return []


def pytest_pycollect_makemodule(module_path, parent):
    """Collect nothing of a test file here where ROS is missing; report it skipped instead."""
    if NO_ROS is not None:
        return SkippedWithoutRos.from_parent(parent, path=module_path)
    return None


@pytest.fixture
def ros_context():
    """Start the default context for one test; shut it down afterwards."""
    rclpy.init()
    yield
    rclpy.try_shutdown()


@pytest.fixture
def start_node(ros_context):
    """Return start(**parameters) -> (node, probe) on a fresh context; cleaned up afterwards."""
    from looptrans_ros.node import GroundingNode
    from node_harness import NodesUnderTest
    nodes = NodesUnderTest(GroundingNode)
    yield nodes.start
    nodes.close()
