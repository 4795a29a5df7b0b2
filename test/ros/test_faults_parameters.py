"""A behaviour tree hammering the node: 500 set_affordance calls and 500 parameter sets.

They are sent interleaved on a 200 calls/s schedule (responses collected as they come) while
frames stream in; every response must be right (valid actions accepted, an unknown one refused
by name), no frame may fail, and the last call's action must be the one in force and on the
peaks of every frame sent after it was answered (frames already in the pipeline keep the
settings they were taken with).
"""
import time

from looptrans_interfaces.msg import AffordancePeaks
from looptrans_interfaces.srv import SetAffordance
from node_harness import header, image_message
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from test_node import make_node  # noqa: F401 - a fixture

CALLS = 500
PERIOD_S = 1.0 / 200.0
ACTIONS = ('hold', 'cut', 'pour', 'drink_with')
BAD_ACTION = 'fly'


def num_peaks(value: int) -> SetParameters.Request:
    return SetParameters.Request(parameters=[Parameter(name='num_peaks', value=ParameterValue(
        type=ParameterType.PARAMETER_INTEGER, integer_value=value))])


def test_a_flood_of_calls_is_answered_right_and_the_last_one_holds(
        make_node, scene):  # noqa: F811 - the fixture imported above
    node, probe = make_node()
    stamp = [0]

    def send() -> None:
        stamp[0] += 1
        probe.publish('/image', image_message(scene, 'bgr8', header(stamp[0])))
    probe.node.create_timer(0.02, send)
    affordance = probe.node.create_client(SetAffordance, '/set_affordance')
    parameters = probe.node.create_client(SetParameters, '/looptrans_grounding/set_parameters')
    probe.spin_until(lambda: affordance.service_is_ready() and parameters.service_is_ready(),
                     'the services')
    probe.spin_until(lambda: node.pipeline.counts().processed > 0, 'a first grounded frame')
    calls = []
    start = time.monotonic()
    for index in range(CALLS):
        action = BAD_ACTION if index % 7 == 6 else ACTIONS[index % len(ACTIONS)]
        calls.append((action, affordance.call_async(SetAffordance.Request(action=action))))
        calls.append((index % 3 + 1, parameters.call_async(num_peaks(index % 3 + 1))))
        deadline = start + (index + 1) * 2 * PERIOD_S
        while time.monotonic() < deadline:
            probe.executor.spin_once(timeout_sec=max(0.0, deadline - time.monotonic()))
    probe.spin_until(lambda: all(future.done() for _, future in calls), 'every response')
    answered = stamp[0]  # frames stamped later were taken after the last call took effect
    for sent, future in calls:
        response = future.result()
        if isinstance(sent, int):
            assert response.results[0].successful, response
        elif sent == BAD_ACTION:
            assert not response.success and f"unknown action '{BAD_ACTION}'" in response.message
        else:
            assert response.success and response.message == f'grounding {sent!r}', response
    last = [sent for sent, _ in calls if isinstance(sent, str) and sent != BAD_ACTION][-1]
    assert node.get_parameter('action').value == last
    assert node.get_parameter('num_peaks').value == (CALLS - 1) % 3 + 1
    peaks = probe.subscribe(AffordancePeaks, '/looptrans_grounding/peaks')

    def later() -> list:
        return [message for message in peaks if message.header.stamp.sec > answered]
    probe.spin_until(lambda: len(later()) >= 2, 'peaks of frames sent after the last call')
    assert {message.action for message in later()} == {last}
    assert node.pipeline.counts().failed == 0
