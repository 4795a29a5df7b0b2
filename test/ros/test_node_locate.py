"""The node's `checkpoint` parameter with a file in LOCATE's layout, on real rclpy."""
from node_harness import header, image_message, NodesUnderTest
import numpy as np
import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn

import locate_reference
from locate_reference import save_locate_file, TINY
from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.node import GroundingNode


@pytest.fixture
def start_node():
    """Return start(**parameters) -> (node, probe) on a fresh context; cleaned up afterwards."""
    rclpy.init()
    nodes = NodesUnderTest(GroundingNode)
    yield nodes.start
    nodes.close()
    rclpy.try_shutdown()


def test_a_locate_checkpoint_runs_in_the_node_as_locate(start_node, tmp_path, scene, capfd):
    path = tmp_path / 'best_model_unseen.pth'
    net = save_locate_file(path, len(locate_reference.UNSEEN), 3, **TINY)
    node, probe = start_node(checkpoint=str(path), device='cpu', action='cut_with',
                             autostart=False)
    out = probe.outputs(node, 'heatmap')
    capfd.readouterr()
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    # The node's console log (rcutils writes it to stderr at once): a /rosout subscription
    # missed this record once in a full run on a loaded machine.
    assert 'configured: 25 actions of method locate on cpu' in capfd.readouterr().err
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    rgb = scene[..., ::-1].copy()
    probe.publish('/image', image_message(rgb, 'rgb8', header(4)))
    probe.spin_until(lambda: out['heatmap'], 'a heat map')
    published = decode_image(fields_of(out['heatmap'][0]))
    raw = net.ego_pred(locate_reference.published_input(rgb))[0]
    label = locate_reference.UNSEEN.index('cut_with')
    expected = locate_reference.normalize_map(raw[label].numpy(), rgb.shape[1::-1])
    assert published.shape == rgb.shape[:2]
    # Our resize of the decoded frame against PIL's moves this small net's map by 2.3e-4.
    assert np.abs(published - expected).max() < 1e-3
