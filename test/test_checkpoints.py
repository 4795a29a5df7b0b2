"""Checkpoints: published state dicts, our safetensors format, and refusal of unsafe pickles."""
import pickle

import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.checkpoints import (CheckpointError, CheckpointMetadata, load_checkpoint,
                                        save_checkpoint)
from looptrans_core.model.looptrans import LoopTrans
from model_factory import make_tiny_model, randomise_batchnorm
import published_reference


@pytest.fixture(scope='module')
def published_model():
    """Build a random model on the published backbone (ViT-S/16), Seen split."""
    torch.manual_seed(1)
    model = LoopTrans(len(SEEN_AFFORDANCES))
    randomise_batchnorm(model, seed=1)
    return model.eval()


@pytest.fixture(scope='module')
def published_file(tmp_path_factory, published_model):
    path = tmp_path_factory.mktemp('published') / 'best_aff_model_seen.pth'
    torch.save(published_model.state_dict(), path)
    return path


def test_published_checkpoint_matches_published_forward(published_file):
    model, metadata = load_checkpoint(published_file)
    assert metadata.divide == 'Seen' and metadata.backbone == 'vit_small_patch16_224'
    assert metadata.affordances == SEEN_AFFORDANCES
    state = torch.load(published_file, weights_only=True)
    images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = model(images)
        for label in (0, SEEN_AFFORDANCES.index('cut'), len(SEEN_AFFORDANCES) - 1):
            reference = published_reference.test_forward(images, state, heads=6, label=label)
            relative = (ours[:, label] - reference).norm() / reference.norm()
            assert relative < 1e-4


def test_unseen_split_follows_classifier_rows(tmp_path):
    path = tmp_path / 'unseen.pth'
    torch.save(make_tiny_model(len(UNSEEN_AFFORDANCES)).state_dict(), path)
    model, metadata = load_checkpoint(path)
    assert metadata.divide == 'Unseen' and metadata.backbone == 'vit_tiny_test'
    assert model.aff_fc.out_channels == 40


def test_damaged_state_dict_is_rejected_naming_keys(tmp_path):
    state = make_tiny_model().state_dict()
    del state['pixel_dec.3.weight']
    state['pixel_dec.9.weight'] = torch.zeros(3)
    state['aff_proj.fc1.bias'] = torch.zeros(7)
    path = tmp_path / 'damaged.pth'
    torch.save(state, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert 'pixel_dec.3.weight' in message and 'pixel_dec.9.weight' in message
    assert 'aff_proj.fc1.bias' in message


def test_wrong_class_count_says_what_fits(tmp_path):
    state = make_tiny_model(num_affordances=7).state_dict()
    path = tmp_path / 'seven.pth'
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"22 outputs.*'Seen': 51"):
        load_checkpoint(path)


def test_not_a_state_dict_is_rejected(tmp_path):
    path = tmp_path / 'list.pth'
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match='expected the dict'):
        load_checkpoint(path)


class _Exploit:
    """Unpickling this would create a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_code_running_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as handle:
        torch.save({'aff_fc.weight': _Exploit(marker)}, handle, pickle_module=pickle)
    with pytest.raises(CheckpointError, match='not loaded'):
        load_checkpoint(path)
    assert not marker.exists()


def test_our_format_round_trips(tmp_path):
    model = make_tiny_model(seed=3)
    metadata = CheckpointMetadata(backbone='vit_tiny_test', affordances=SEEN_AFFORDANCES,
                                  divide='Seen', description='round trip',
                                  training_config={'optim': {'lr': 0.001}})
    path = save_checkpoint(model, tmp_path / 'model.safetensors', metadata)
    loaded, loaded_metadata = load_checkpoint(path)
    assert loaded_metadata == metadata
    images = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), model(images))


def test_safetensors_without_our_metadata_is_rejected(tmp_path):
    import safetensors.torch
    path = tmp_path / 'foreign.safetensors'
    safetensors.torch.save_file({'x': torch.zeros(1)}, str(path))
    with pytest.raises(CheckpointError, match='no LoopTrans metadata'):
        load_checkpoint(path)


def test_missing_file_says_what_to_pass(tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        load_checkpoint(tmp_path / 'nope.pth')
