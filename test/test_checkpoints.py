"""Checkpoints: published state dicts, our safetensors format, and refusal of unfit files."""
import json
import os
import pickle
import struct
import warnings

import pytest
import safetensors.torch
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.checkpoints import (CheckpointError, CheckpointMetadata, load_checkpoint,
                                        METADATA_KEY, save_checkpoint)
from looptrans_core.model.cluster import PartCluster
from looptrans_core.model.looptrans import LoopTrans
from model_factory import make_tiny_model, randomise_batchnorm
import published_reference

TINY_METADATA = {'backbone': 'vit_tiny_test', 'affordances': list(SEEN_AFFORDANCES),
                 'divide': 'Seen'}


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
    with pytest.raises(CheckpointError, match='was refused: loading it could run code$') as error:
        load_checkpoint(path)
    assert not marker.exists()
    assert 'weights_only' not in str(error.value)


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


@pytest.fixture(scope='module')
def tiny_state():
    """Return the tiny model's state dict, contiguous, as files store it."""
    return {k: v.contiguous() for k, v in make_tiny_model().state_dict().items()}


@pytest.fixture(scope='module')
def good_bytes(tmp_path_factory):
    """Return the bytes of a valid .safetensors checkpoint of the tiny model."""
    metadata = CheckpointMetadata('vit_tiny_test', SEEN_AFFORDANCES, 'Seen')
    path = save_checkpoint(make_tiny_model(), tmp_path_factory.mktemp('good') / 'm.safetensors',
                           metadata)
    return path.read_bytes()


def _refused(path, match):
    with pytest.raises(CheckpointError, match=match) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert str(path) in message and '\n' not in message
    return message


def _header_file(header):
    data = json.dumps(header).encode()
    return struct.pack('<Q', len(data)) + data


@pytest.mark.parametrize('content, match', [
    (lambda good: b'', 'not a readable safetensors file.*header too small'),
    (lambda good: os.urandom(4096), 'not a readable safetensors file'),
    (lambda good: good[:len(good) // 2], 'not a readable safetensors file'),
    (lambda good: struct.pack('<Q', 2 ** 60) + good[8:], 'header too large'),
    (lambda good: struct.pack('<Q', len(good)) + good[8:], 'invalid header length'),
    (lambda good: struct.pack('<Q', 5) + b'{{{{{', 'invalid JSON in header'),
    (lambda good: _header_file([1, 2]), 'invalid JSON in header'),
    (lambda good: _header_file({'x': {'dtype': 'F32', 'shape': [4], 'data_offsets': [0, 16]}})
     + bytes(4), 'not a readable safetensors file'),
], ids=['empty', 'random', 'truncated', 'header-2^60', 'header-past-end', 'header-not-json',
        'header-list', 'offsets-past-end'])
def test_unreadable_safetensors_are_refused_naming_the_file(tmp_path, good_bytes, content, match):
    path = tmp_path / 'bad.safetensors'
    path.write_bytes(content(good_bytes))
    _refused(path, match)


def _with_metadata(tmp_path, text, tensors):
    path = tmp_path / 'meta.safetensors'
    safetensors.torch.save_file(tensors, str(path), metadata={METADATA_KEY: text})
    return path


@pytest.mark.parametrize('text, match', [
    ('not json', 'metadata is not valid JSON'),
    ('[1]', 'metadata is a JSON array, expected an object'),
    (json.dumps({'backbone': 'vit_tiny_test'}), r"missing fields \['affordances', 'divide'\]"),
    (json.dumps({**TINY_METADATA, 'colour': 'red'}), r"unexpected fields \['colour'\]"),
    (json.dumps({**TINY_METADATA, 'affordances': 'cut'}), 'affordances: string, expected array'),
    (json.dumps({**TINY_METADATA, 'input_size': True}), 'input_size: boolean, expected integer'),
    (json.dumps({**TINY_METADATA, 'format_version': True}), 'format version True'),
    (json.dumps({**TINY_METADATA, 'format_version': 2}), 'format version 2; .* reads version 1'),
    (json.dumps({**TINY_METADATA, 'backbone': 'resnet'}),
     "names backbone 'resnet'; known: vit_small_patch16_224, vit_tiny_synth, vit_tiny_test"),
    (json.dumps({**TINY_METADATA, 'affordances': ['cut'] * 36}), r"repeat \['cut'\]"),
    (json.dumps({**TINY_METADATA, 'affordances': [1] * 36}), 'non-empty strings, got 1'),
    (json.dumps({**TINY_METADATA, 'input_size': 300}), 'input_size 300'),
    (json.dumps({**TINY_METADATA, 'cluster_forward': 'sideways'}), "cluster_forward 'sideways'"),
], ids=['not-json', 'list', 'missing', 'extra', 'mistyped', 'bool-int', 'bool-version',
        'version-2', 'backbone', 'duplicates', 'not-str', 'input-size', 'cluster-forward'])
def test_bad_metadata_is_refused_naming_the_file(tmp_path, tiny_state, text, match):
    _refused(_with_metadata(tmp_path, text, tiny_state), match)


def test_a_model_without_affordances_is_refused(tmp_path, tiny_state):
    tensors = {**tiny_state, 'aff_fc.weight': torch.zeros(15, 64, 1, 1),
               'aff_fc.bias': torch.zeros(15)}
    text = json.dumps({**TINY_METADATA, 'affordances': []})
    _refused(_with_metadata(tmp_path, text, tensors), 'no affordance names')


@pytest.mark.parametrize('key, change, match', [
    ('aff_fc.weight', lambda t: t.to(torch.int32), r'dtype mismatches.*torch\.int32'),
    ('aff_fc.bias', lambda t: t > 0, r'dtype mismatches.*torch\.bool'),
    ('pixel_dec.1.num_batches_tracked', lambda t: t.float(), 'dtype mismatches'),
    ('aff_fc.bias', lambda t: t * float('nan'), r"NaN or infinite weights: in \['aff_fc.bias'\]"),
    ('scam.0.weight', lambda t: t * float('inf'), 'NaN or infinite weights'),
    ('aff_fc.bias', lambda t: t[:3], r'shape mismatches.*aff_fc\.bias: file \(3,\)'),
    ('aff_fc.bias', lambda t: None, r"missing keys \['aff_fc.bias'\]"),
], ids=['int', 'bool', 'float-counter', 'nan', 'inf', 'misshapen', 'missing'])
def test_unfit_tensors_are_refused_naming_them(tmp_path, tiny_state, key, change, match):
    tensors = {**tiny_state, key: change(tiny_state[key])}
    tensors = {k: v for k, v in tensors.items() if v is not None}
    _refused(_with_metadata(tmp_path, json.dumps(TINY_METADATA), tensors), match)


def test_half_precision_weights_load_as_float32(tmp_path, tiny_state):
    tensors = {k: v.half() if v.is_floating_point() else v for k, v in tiny_state.items()}
    model, _ = load_checkpoint(_with_metadata(tmp_path, json.dumps(TINY_METADATA), tensors))
    assert model.aff_fc.weight.dtype == torch.float32


def _torch_file(tmp_path, state, **options):
    path = tmp_path / 'published.pth'
    torch.save(state, path, **options)
    return path


def test_legacy_torch_format_still_loads(tmp_path, tiny_state):
    path = _torch_file(tmp_path, tiny_state, _use_new_zipfile_serialization=False)
    model, metadata = load_checkpoint(path)
    assert metadata.divide == 'Seen'
    assert torch.equal(model.aff_fc.weight, tiny_state['aff_fc.weight'])


@pytest.mark.parametrize('change, match', [
    (lambda state: {**state, 'aff_fc.weight': torch.tensor(1.0)},
     r'aff_fc\.weight has shape \(\), expected 4 dimensions'),
    (lambda state: {**state, 'vit_model.cls_token': torch.zeros(64)},
     r'vit_model\.cls_token has shape \(64,\), expected 3 dimensions'),
    (lambda state: {**state, 5: torch.zeros(1)}, r'holds the key 5 \(int\)'),
    (lambda state: {**state, 'x': torch.zeros(2, 2).to_sparse()}, "'x': a torch.sparse_coo"),
], ids=['0-d-classifier', '1-d-cls-token', 'int-key', 'sparse'])
@pytest.mark.filterwarnings('ignore:Validating sparse tensor invariants')
def test_unfit_published_state_dicts_are_refused(tmp_path, tiny_state, change, match):
    _refused(_torch_file(tmp_path, change(tiny_state)), match)


@pytest.mark.parametrize('damage, match', [
    (lambda data: b'', 'not a PyTorch file: it is empty'),
    (lambda data: os.urandom(4096), "not a PyTorch file: it starts with neither torch.save's"),
    (lambda data: data[:len(data) // 2], 'damaged or truncated'),
    (lambda data: data[:1000] + bytes([data[1000] ^ 1]) + data[1001:], 'damaged'),
    (lambda data: data[:-5000] + bytes([data[-5000] ^ 1]) + data[-4999:], 'fails its CRC'),
], ids=['empty', 'random', 'truncated', 'flipped-header-byte', 'flipped-data-byte'])
def test_damaged_torch_files_are_refused(tmp_path, tiny_state, damage, match):
    path = _torch_file(tmp_path, tiny_state)
    path.write_bytes(damage(path.read_bytes()))
    _refused(path, match)


def test_torchscript_archive_is_refused_as_code(tmp_path):
    path = tmp_path / 'scripted.pt'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)  # TorchScript is deprecated
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    message = _refused(path, 'was refused: loading it could run code')
    assert 'weights_only' not in message


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint is a folder'):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize('change, match', [
    (lambda state: {**state, 'cluster.tokens.weight': torch.zeros(4, 32)}, '64-channel keys'),
    (lambda state: {k: v for k, v in state.items() if k != 'cluster.tokens.weight'},
     'needs cluster.tokens.weight'),
    (lambda state: {k: v for k, v in state.items() if k != 'cluster.norm_layers.1.bias'},
     'do not fit a part-cluster module: .*norm_layers.1.bias'),
    (lambda state: {**state, **{f'cluster.cross_attn_layers.{n}.in_proj_bias': torch.zeros(1)
                                for n in range(2, 5000)}},
     'name cross-attention layer 2 without its'),
], ids=['wrong-dim', 'no-tokens', 'missing-key', 'thousands-of-empty-layers'])
def test_unfit_cluster_tensors_are_refused(tmp_path, change, match):
    model = make_tiny_model()
    model.cluster = PartCluster(64, num_layers=2)
    _refused(_torch_file(tmp_path, change(model.state_dict())), match)
