"""Faults at configure: a missing checkpoint fixed without a restart; an unusable OpenVINO cache.

Each fails the configure transition with one clear error on /rosout and leaves the process up;
the cache, read-only or full, is left without a half-written model.
"""
from lifecycle_msgs.msg import State, Transition
from node_harness import header, image_message, warnings_of
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from test_node import lifecycle, lifecycle_state
from test_node_backends import checkpoint, ERROR, start_node  # noqa: F401 - fixtures

MISSING = '/nonexistent/looptrans/model.safetensors'


def set_checkpoint(probe, path: str):
    """Set the node's checkpoint parameter through its service; return the result."""
    request = SetParameters.Request(parameters=[Parameter(name='checkpoint', value=ParameterValue(
        type=ParameterType.PARAMETER_STRING, string_value=path))])
    return probe.call(SetParameters, '/looptrans_grounding/set_parameters', request).results[0]


def test_a_missing_checkpoint_fails_configure_and_a_good_one_then_configures(
        start_node, checkpoint, scene):  # noqa: F811 - the fixtures imported above
    node, probe = start_node(checkpoint=MISSING, device='cpu', autostart=False)
    rosout = probe.outputs(node, 'rosout')['rosout']
    assert not lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    probe.spin_until(lambda: any(MISSING in text for text in warnings_of(node, rosout, ERROR)),
                     'the missing checkpoint named on /rosout')
    errors = [text for text in warnings_of(node, rosout, ERROR) if 'cannot configure' in text]
    assert len(errors) == 1, errors
    assert set_checkpoint(probe, checkpoint).successful
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    refused = set_checkpoint(probe, MISSING)
    assert not refused.successful and 'while the node is unconfigured' in refused.reason
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)
    peaks = probe.outputs(node, 'peaks')['peaks']
    probe.publish('/image', image_message(scene, 'bgr8', header(4)))
    probe.spin_until(lambda: peaks, 'peaks from the model configured second')
    assert node.get_parameter('checkpoint').value == checkpoint
