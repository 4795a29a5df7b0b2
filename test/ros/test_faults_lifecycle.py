"""A behaviour tree toggling the node: 50 deactivate/activate and 10 cleanup/configure cycles.

Frames keep flowing (a timer of the probe publishes them) while the lifecycle services are
called. Afterwards nothing is left over (subscriptions, publishers, services, timers and
worker threads, counted through the node's public interfaces, the ROS graph and
`threading`), Python memory is flat and the next frame is grounded exactly as the Grounder
grounds it directly.
"""
import threading
import tracemalloc

from lifecycle_msgs.msg import Transition
from node_harness import header, image_message, IMAGE_QOS, private_topic
import numpy as np
from sensor_msgs.msg import Image
from test_node import lifecycle, make_node  # noqa: F401 - a fixture

from looptrans_ros.image_codec import decode_image, fields_of

TOGGLES, RECONFIGURES = 50, 10
FRAME_PERIOD_S = 0.02
GROWTH_BYTES = 1 << 20
"""Python memory the cycles may add: less than one 640 x 480 frame (900 KB) kept per cycle
would stay under it; rclpy itself keeps ~5 KB per cycle (a weak reference per entity ever
made, in the callback group), 0.3 MB over these cycles as measured."""


def entities(node) -> dict:
    """Count what the node holds, through its public interfaces, and its worker threads."""
    return {'subscriptions': len(list(node.subscriptions)),
            'publishers': len(list(node.publishers)), 'services': len(list(node.services)),
            'timers': len(list(node.timers)), 'waitables': len(list(node.waitables)),
            'workers': sum(t.name.startswith('looptrans_') for t in threading.enumerate())}


def toggle(probe, node) -> None:
    """Deactivate and activate; in between, nothing of the active node is left."""
    assert lifecycle(probe, Transition.TRANSITION_DEACTIVATE)
    inactive = entities(node)
    assert inactive['workers'] == 0 and probe.node.count_publishers(
        private_topic(node, 'heatmap')) == 0, inactive
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)


def test_lifecycle_cycles_leave_nothing_behind_and_ground_correctly_after(
        make_node, tiny_grounder, scene):  # noqa: F811 - the fixture imported above
    scene = np.ascontiguousarray(np.tile(scene, (10, 10, 1)))  # 480 x 640
    node, probe = make_node(autostart=False)
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)
    frames = [0]

    def send() -> None:
        frames[0] += 1
        probe.publish('/image', image_message(scene, 'bgr8', header(frames[0])))
    probe.node.create_timer(FRAME_PERIOD_S, send)
    probe.spin_until(lambda: node.pipeline.counts().processed > 0, 'a first grounded frame')
    active = entities(node)
    toggle(probe, node)  # warm-up: the first cycle allocates what later ones reuse
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(TOGGLES - 1):
            toggle(probe, node)
        for index in range(RECONFIGURES):
            assert lifecycle(probe, Transition.TRANSITION_DEACTIVATE)
            assert lifecycle(probe, Transition.TRANSITION_CLEANUP)
            assert node.pipeline is None and entities(node)['timers'] == active['timers'] - 1
            assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
            assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert entities(node) == active, 'an entity or thread was left over by the cycles'
    assert probe.node.count_subscribers('/image') == 1
    assert growth < GROWTH_BYTES, f'Python memory grew by {growth} bytes'
    heatmaps = probe.subscribe(Image, private_topic(node, 'heatmap'), IMAGE_QOS)
    probe.spin_until(lambda: heatmaps and node.pipeline.counts().processed > 3,
                     'heat maps after the last cycle')
    expected = tiny_grounder.ground(scene, 'hold', channel_order='bgr')['hold'].heatmap
    assert np.allclose(decode_image(fields_of(heatmaps[-1])), expected, atol=1e-6)
    assert node.pipeline.counts().failed == 0
