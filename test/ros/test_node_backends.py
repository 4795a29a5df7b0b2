"""The node's `backend` on real rclpy: OpenVINO gives torch's heat map; bad precisions fail."""
from node_harness import header, image_message, warnings_of
import numpy as np
import pytest
from rclpy.lifecycle import TransitionCallbackReturn

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, save_checkpoint
from looptrans_core.grounder import Grounder
from looptrans_ros.image_codec import decode_image, fields_of
from model_factory import make_tiny_model

pytest.importorskip('openvino')
ERROR = 40
"""rcl_interfaces/msg/Log level of errors."""


@pytest.fixture
def checkpoint(tmp_path):
    """Save a seeded tiny model as a checkpoint file; return its path."""
    metadata = CheckpointMetadata('vit_tiny_test', SEEN_AFFORDANCES, 'Seen', description='test')
    return str(save_checkpoint(make_tiny_model(), tmp_path / 'tiny.safetensors', metadata))


def test_openvino_node_publishes_the_torch_heat_map(start_node, checkpoint, scene):
    node, probe = start_node(checkpoint=checkpoint, backend='openvino', device='cpu')
    out = probe.outputs(node, 'heatmap', 'peaks')
    probe.publish('/image', image_message(scene[..., ::-1].copy(), 'rgb8', header(3)))
    probe.spin_until(lambda: out['heatmap'] and out['peaks'], 'a heat map from OpenVINO')
    published = decode_image(fields_of(out['heatmap'][0]))
    expected = Grounder.from_checkpoint(checkpoint, 'cpu').ground(scene[..., ::-1].copy(),
                                                                  ['hold'])['hold'].heatmap
    assert np.abs(published - expected).max() < 1e-4


def test_a_precision_the_backend_does_not_run_fails_configure_with_the_reason(
        start_node, checkpoint):
    node, probe = start_node(checkpoint=checkpoint, backend='torch', precision='int8',
                             autostart=False)
    rosout = probe.outputs(node, 'rosout')['rosout']
    assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
    probe.spin_until(lambda: any("'int8' runs on backend 'openvino'" in text
                                 for text in warnings_of(node, rosout, level=ERROR)),
                     'the reason on /rosout')
