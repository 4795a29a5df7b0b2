"""The model tools start with: the checkpoint asked for, the bundled demo, or random weights."""
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointError
from looptrans_core.default_model import device_or_cpu, load_default_grounder
from looptrans_core.peaks import PeakConfig


def test_no_cuda_falls_back_to_cpu_with_a_warning(monkeypatch):
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    device, warning = device_or_cpu('cuda:1')
    assert device == 'cpu' and 'CUDA is not available' in warning
    assert device_or_cpu('cpu') == ('cpu', None)


def test_empty_checkpoint_means_the_bundled_demo_model():
    grounder, warnings = load_default_grounder('', 'cpu')
    assert 'synthetic' in grounder.metadata.description.lower()
    assert any('bundled demo model' in warning for warning in warnings)


def test_missing_demo_model_means_random_weights_loudly(tmp_path):
    grounder, warnings = load_default_grounder('', 'cpu', 'fp32', PeakConfig(),
                                               demo_model=tmp_path / 'absent.safetensors')
    assert grounder.affordances == SEEN_AFFORDANCES and grounder.metadata is None
    assert any('RANDOM WEIGHTS' in warning for warning in warnings)


def test_missing_checkpoint_says_what_to_pass(tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        load_default_grounder(str(tmp_path / 'nope.safetensors'), 'cpu')


def test_threads_reach_torch():
    before = torch.get_num_threads()
    try:
        load_default_grounder('', 'cpu', threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
