"""launch_testing on a ROS 2 machine: the sim camera in, heat maps and peaks out.

Runs under `colcon test` (or `launch_test`) where ROS 2 is installed; skipped elsewhere.
"""
import time
import unittest

import pytest

launch_testing = pytest.importorskip('launch_testing', reason='needs a ROS 2 install')

from ament_index_python.packages import get_package_share_directory  # noqa: E402,I100
from launch import LaunchDescription  # noqa: E402,I100
from launch.actions import IncludeLaunchDescription  # noqa: E402,I100
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402,I100
from launch_testing.actions import ReadyToTest  # noqa: E402,I100
from looptrans_interfaces.msg import AffordancePeaks  # noqa: E402,I100
import rclpy  # noqa: E402,I100
from sensor_msgs.msg import Image  # noqa: E402,I100

TIMEOUT_S = 120.0


@pytest.mark.launch_test
def generate_test_description():
    """Launch the grounding launch file with the synthetic camera and no RViz."""
    launch_file = f'{get_package_share_directory("looptrans_ros")}/launch/grounding.launch.py'
    grounding = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(launch_file),
        launch_arguments={'use_sim_camera': 'true', 'use_rviz': 'false',
                          'device': 'cpu'}.items())
    return LaunchDescription([grounding, ReadyToTest()])


class TestGroundingOutputs(unittest.TestCase):
    """Wait for a heat map and a peaks message from the running node."""

    def test_heatmap_and_peaks_arrive(self):
        rclpy.init()
        node = rclpy.create_node('looptrans_launch_test')
        received = {'heatmap': [], 'peaks': []}
        node.create_subscription(Image, '/looptrans_grounding/heatmap',
                                 received['heatmap'].append, 10)
        node.create_subscription(AffordancePeaks, '/looptrans_grounding/peaks',
                                 received['peaks'].append, 10)
        deadline = time.monotonic() + TIMEOUT_S
        try:
            while time.monotonic() < deadline and not all(received.values()):
                rclpy.spin_once(node, timeout_sec=0.5)
        finally:
            node.destroy_node()
            rclpy.shutdown()
        self.assertTrue(received['heatmap'], 'no heat map within the timeout')
        self.assertEqual(received['heatmap'][0].encoding, '32FC1')
        self.assertEqual(received['peaks'][0].action, 'hold')
