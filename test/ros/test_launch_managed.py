"""launch_testing: a params file decides (action: cut, autostart: false); lifecycle; actions.

The launch file is given no `action` argument, so the params file's `action: cut` must reach the
node; the node waits unconfigured until the lifecycle services configure and activate it; then
several actions are grounded per frame on their own topics.
"""
from pathlib import Path
import tempfile
import unittest

from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
import launch_testing
from launch_testing.actions import ReadyToTest
import launch_testing.asserts
from lifecycle_msgs.msg import State, Transition
from lifecycle_msgs.srv import ChangeState, GetState
from looptrans_interfaces.msg import AffordancePeaks
from node_harness import ProbeTestCase
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from ros_required import package_share

NODE = '/looptrans_grounding'
PARAMS = """/**:
  ros__parameters:
    action: cut
    autostart: false
"""


@pytest.mark.launch_test
def generate_test_description():
    """Launch with a params file of our own; only device and the camera given as arguments."""
    params_file = Path(tempfile.mkdtemp()) / 'grounding.yaml'
    params_file.write_text(PARAMS)
    launch_file = f'{package_share()}/launch/grounding.launch.py'
    grounding = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(launch_file),
        launch_arguments={'use_sim_camera': 'true', 'use_rviz': 'false', 'device': 'cpu',
                          'params_file': str(params_file)}.items())
    return LaunchDescription([grounding, ReadyToTest()])


class TestManagedNode(ProbeTestCase):
    """One ordered scenario: unconfigured, configure, activate, several actions, deactivate."""

    def state(self) -> int:
        return self.probe.call(GetState, f'{NODE}/get_state', GetState.Request(),
                               attempts=4).current_state.id

    def transition(self, transition: int) -> None:
        request = ChangeState.Request(transition=Transition(id=transition))
        self.assertTrue(self.probe.call(ChangeState, f'{NODE}/change_state', request).success)

    def test_params_file_lifecycle_and_several_actions(self):
        self.assertEqual(self.state(), State.PRIMARY_STATE_UNCONFIGURED)
        self.transition(Transition.TRANSITION_CONFIGURE)
        self.transition(Transition.TRANSITION_ACTIVATE)
        self.assertEqual(self.state(), State.PRIMARY_STATE_ACTIVE)
        peaks = self.probe.subscribe(AffordancePeaks, f'{NODE}/peaks')
        self.probe.spin_until(lambda: peaks, 'peaks once active')
        self.assertEqual(peaks[-1].action, 'cut', "the params file's action: cut was ignored")

        value = ParameterValue(type=ParameterType.PARAMETER_STRING_ARRAY,
                               string_array_value=['cut', 'hold'])
        request = SetParameters.Request(parameters=[Parameter(name='actions', value=value)])
        result = self.probe.call(SetParameters, f'{NODE}/set_parameters', request).results[0]
        self.assertTrue(result.successful, result.reason)
        by_action = {action: self.probe.subscribe(AffordancePeaks, f'{NODE}/{action}/peaks')
                     for action in ('cut', 'hold')}
        self.probe.spin_until(lambda: all(len(got) >= 2 for got in by_action.values()),
                              'peaks of both actions')
        stamps = {action: {(m.header.stamp.sec, m.header.stamp.nanosec) for m in got}
                  for action, got in by_action.items()}
        self.assertTrue(stamps['cut'] & stamps['hold'], 'no frame was grounded for both')

        self.transition(Transition.TRANSITION_DEACTIVATE)
        self.assertEqual(self.state(), State.PRIMARY_STATE_INACTIVE)


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    """launch's SIGINT at the end reaches an inactive managed node: every node exits 0."""

    def test_every_node_exits_zero(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
