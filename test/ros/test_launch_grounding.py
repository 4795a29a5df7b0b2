"""launch_testing: the real grounding.launch.py with the synthetic camera, seen through topics.

Runs under pytest (launch_testing's plugin, with ROS sourced and this package built) and under
`colcon test`. The probe has a context of its own, so a failing launch leaves nothing behind.
"""
import unittest

from diagnostic_msgs.msg import DiagnosticArray
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
import launch_testing
from launch_testing.actions import ReadyToTest
import launch_testing.asserts
from looptrans_interfaces.msg import AffordancePeaks
from looptrans_interfaces.srv import SetAffordance
from node_harness import CleanShutdownChecks, output_qos, ProbeTestCase
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
from ros_required import package_share
from sensor_msgs.msg import Image

from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.synthetic_camera import SIZE

NODE = '/looptrans_grounding'
FRAMES = 5


@pytest.mark.launch_test
def generate_test_description():
    """Launch the package's launch file as a user starts it: synthetic camera on, no RViz."""
    launch_file = f'{package_share()}/launch/grounding.launch.py'
    grounding = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(launch_file),
        launch_arguments={'use_sim_camera': 'true', 'use_rviz': 'false',
                          'device': 'cpu'}.items())
    return LaunchDescription([grounding, ReadyToTest()])


def string_parameter(name: str, value: str) -> Parameter:
    return Parameter(name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING,
                                                     string_value=value))


class TestGroundingThroughTopics(ProbeTestCase):
    """Heat maps, overlays, the service, the parameter and /diagnostics of the running node."""

    def tearDown(self):
        self.probe.unsubscribe_all()

    def subscribe(self, msg_type, name: str) -> list:
        return self.probe.subscribe(msg_type, f'{NODE}/{name}', output_qos(msg_type))

    def action(self) -> str:
        response = self.probe.call(GetParameters, f'{NODE}/get_parameters',
                                   GetParameters.Request(names=['action']))
        return response.values[0].string_value

    def next_peaks_action(self) -> str:
        peaks = self.subscribe(AffordancePeaks, 'peaks')
        self.probe.spin_until(lambda: len(peaks) >= 2, 'peaks')
        return peaks[-1].action

    def test_heatmaps_are_32fc1_at_the_input_size_with_increasing_stamps(self):
        heatmaps = self.subscribe(Image, 'heatmap')
        self.probe.spin_until(lambda: len(heatmaps) >= FRAMES, f'{FRAMES} heat maps')
        for message in heatmaps:
            self.assertEqual((message.encoding, message.height, message.width), ('32FC1', *SIZE))
        values = decode_image(fields_of(heatmaps[0]))
        self.assertTrue(0.0 <= values.min() and values.max() <= 1.0)
        stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in heatmaps]
        self.assertEqual(stamps, sorted(set(stamps)))

    def test_overlays_arrive_while_heatmaps_keep_arriving(self):
        heatmaps = self.subscribe(Image, 'heatmap')
        overlays = self.subscribe(Image, 'overlay')
        self.probe.spin_until(lambda: len(overlays) >= FRAMES and len(heatmaps) >= FRAMES,
                              f'{FRAMES} overlays and heat maps')
        for message in overlays:
            self.assertEqual((message.encoding, message.height, message.width), ('bgr8', *SIZE))

    def test_set_affordance_good_and_bad(self):
        good = self.probe.call(SetAffordance, '/set_affordance',
                               SetAffordance.Request(action='cut'))
        self.assertTrue(good.success, good.message)
        self.assertIn('cut', good.available)
        self.assertEqual(self.next_peaks_action(), 'cut')
        bad = self.probe.call(SetAffordance, '/set_affordance',
                              SetAffordance.Request(action='fly'))
        self.assertFalse(bad.success)
        self.assertIn("unknown action 'fly'", bad.message)
        self.assertEqual(self.action(), 'cut')
        self.assertEqual(self.next_peaks_action(), 'cut')

    def test_action_parameter_good_and_bad(self):
        def set_action(value: str):
            request = SetParameters.Request(parameters=[string_parameter('action', value)])
            return self.probe.call(SetParameters, f'{NODE}/set_parameters', request).results[0]
        self.assertTrue(set_action('pour').successful)
        self.assertEqual(self.next_peaks_action(), 'pour')
        refused = set_action('fly')
        self.assertFalse(refused.successful)
        self.assertIn('valid actions:', refused.reason)
        self.assertEqual(self.action(), 'pour')

    def test_diagnostics_counts_add_up(self):
        received = self.probe.subscribe(DiagnosticArray, '/diagnostics')
        self.probe.spin_until(lambda: any('looptrans_grounding' in status.name
                                          for message in received for status in message.status),
                              'the grounding node on /diagnostics')
        status = next(status for message in received for status in message.status
                      if 'looptrans_grounding' in status.name)
        counts = {kv.key: kv.value for kv in status.values if kv.key.startswith('frames_')}
        counts = {key: int(value) for key, value in counts.items()}
        accounted = sum(counts[f'frames_{name}']
                        for name in ('processed', 'dropped', 'rejected', 'failed'))
        self.assertGreater(counts['frames_processed'], 0)
        self.assertEqual((counts['frames_rejected'], counts['frames_failed']), (0, 0))
        self.assertIn(counts['frames_received'] - accounted, (0, 1), 'one may be in the slot')


@launch_testing.post_shutdown_test()
class TestShutdown(CleanShutdownChecks, unittest.TestCase):
    """launch's SIGINT at the end: every node exits 0 and prints no traceback."""
