"""LOCATE's released checkpoints: loaded by their keys, run exactly as LOCATE's test forward.

The files are seeded LocateNet state dicts (`locate_reference`, LOCATE's module names and extra
entries), saved as LOCATE's train.py saves them; the reference maps come from that independent
re-implementation, never from looptrans_core.
"""
import json

import cv2
import numpy as np
import pytest
import safetensors
import safetensors.torch
import torch

import locate_reference
from locate_reference import save_locate_file, TINY
from looptrans_core.checkpoints import (CheckpointError, CheckpointMetadata, load_checkpoint,
                                        save_checkpoint)
from looptrans_core.cli import main
from looptrans_core.data.synth_scene import render_scene
from looptrans_core.grounder import Grounder
from looptrans_core.model.locate import Locate
from model_factory import make_tiny_model

SPLITS = {'Seen': (locate_reference.SEEN, 1), 'Unseen': (locate_reference.UNSEEN, 2)}
"""Split -> (LOCATE's affordance list, weight seed)."""
RAW_TOLERANCE = 1e-4
"""Max |ours - LOCATE| / max |LOCATE| of the raw maps on the same preprocessed input (fp32)."""
DECODED_RAW_TOLERANCE = 2.5e-2
DECODED_HEAT_TOLERANCE = 4e-2
"""On a decoded image our resize (torchvision, within one grey level of PIL's on up to ~20% of
the pixels) moves random-weight ViT-S maps by up to 1.7e-2 relative (raw) and 2.8e-2 (heat
maps, absolute), measured at five image sizes; the README states these."""


def max_relative(ours, reference) -> float:
    """Largest absolute difference over the largest reference magnitude."""
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


@pytest.fixture(scope='module', params=sorted(SPLITS))
def released(request, tmp_path_factory):
    """Return (split, LOCATE's net, the .pth it saved) on the full ViT-S/16, for each split."""
    names, seed = SPLITS[request.param]
    path = tmp_path_factory.mktemp('locate') / 'best_model_42.pth'  # no split in the name
    return request.param, save_locate_file(path, len(names), seed), path


@pytest.fixture(scope='module')
def tiny_file(tmp_path_factory):
    """Return (LOCATE's net, its .pth): the Seen layout on our small test backbone's sizes."""
    path = tmp_path_factory.mktemp('tiny_locate') / 'locate_seen.pth'
    return save_locate_file(path, 36, 7, **TINY), path


@pytest.fixture(scope='module')
def images():
    """Return a seeded batch of two normalised inputs, (2, 3, 224, 224)."""
    return torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))


def scene(size, seed: int = 0) -> np.ndarray:
    """Draw a synthetic RGB scene of `size` (H, W): a decoded camera image."""
    return render_scene(np.random.default_rng(seed), size)[0]


def test_a_locate_file_is_told_by_its_keys_with_locates_affordance_order(released):
    split, net, path = released
    model, metadata = load_checkpoint(path)
    assert isinstance(model, Locate) and metadata.method == 'locate'
    assert metadata.divide == split and metadata.backbone == 'vit_small_patch16_224'
    assert metadata.affordances == SPLITS[split][0]
    assert model.aff_fc.out_channels == len(SPLITS[split][0])  # no noise classes
    kept = model.state_dict()
    assert not any(key.startswith('aff_exo_proj.') for key in kept)
    for key, tensor in net.state_dict().items():
        if not key.startswith('aff_exo_proj.'):
            assert torch.equal(kept[key], tensor), key


def test_raw_maps_equal_locates_test_forward(released, images):
    split, net, path = released
    grounder = Grounder.from_checkpoint(path, 'cpu')
    assert grounder.method == 'locate'
    with torch.no_grad():
        ours = grounder.model(images)
    reference = net.ego_pred(images)
    assert ours.shape == reference.shape == (2, len(SPLITS[split][0]), 14, 14)
    assert max_relative(ours, reference) < RAW_TOLERANCE
    labels = [0, len(SPLITS[split][0]) - 1]
    picked = net.test_forward(images, labels)
    assert max_relative(ours[[0, 1], labels], picked) < RAW_TOLERANCE


def test_ground_on_a_decoded_image_follows_locate(released):
    split, net, path = released
    grounder = Grounder.from_checkpoint(path, 'cpu')
    exact = scene((224, 224))  # no resize: the two transforms give the same tensor
    results = grounder.ground(exact, return_raw=True)
    reference = net.ego_pred(locate_reference.published_input(exact))[0].numpy()
    ours = np.stack([results[name].raw for name in grounder.affordances])
    assert max_relative(ours, reference) < RAW_TOLERANCE
    for index, name in enumerate(grounder.affordances):
        expected = locate_reference.normalize_map(reference[index])
        assert np.abs(results[name].heatmap - expected).max() < 1e-4
    for size in ((480, 640), (300, 200)):
        image = scene(size, seed=1)
        results = grounder.ground(image, return_raw=True)
        reference = net.ego_pred(locate_reference.published_input(image))[0].numpy()
        ours = np.stack([results[name].raw for name in grounder.affordances])
        assert max_relative(ours, reference) < DECODED_RAW_TOLERANCE
        worst = max(np.abs(results[name].heatmap
                           - locate_reference.normalize_map(reference[i], size[::-1])).max()
                    for i, name in enumerate(grounder.affordances))
        assert worst < DECODED_HEAT_TOLERANCE


def test_converting_to_safetensors_keeps_the_maps_and_the_method(tiny_file, tmp_path, images):
    net, path = tiny_file
    model, metadata = load_checkpoint(path)
    converted = save_checkpoint(model, tmp_path / 'locate_seen.safetensors', metadata)
    with safetensors.safe_open(str(converted), framework='pt') as handle:
        stored = json.loads(handle.metadata()['looptrans'])
        assert not any(key.startswith('aff_exo_proj.') for key in handle.keys())
    assert stored['method'] == 'locate' and stored['divide'] == 'Seen'
    again, metadata_again = load_checkpoint(converted)
    assert isinstance(again, Locate) and metadata_again.method == 'locate'
    with torch.no_grad():
        assert torch.equal(again(images), model(images))
    assert max_relative(again(images).detach(), net.ego_pred(images)) < RAW_TOLERANCE
    image = scene((120, 160))
    first = Grounder.from_checkpoint(path, 'cpu').ground(image, ['hold'])['hold']
    second = Grounder.from_checkpoint(converted, 'cpu').ground(image, ['hold'])['hold']
    assert np.array_equal(first.heatmap, second.heatmap) and first.peaks == second.peaks


def test_files_without_a_method_field_stay_looptrans(tmp_path):
    metadata = CheckpointMetadata('vit_tiny_test', locate_reference.SEEN, 'Seen')
    path = save_checkpoint(make_tiny_model(), tmp_path / 'old.safetensors', metadata)
    state = safetensors.torch.load_file(str(path))
    with safetensors.safe_open(str(path), framework='pt') as handle:
        document = json.loads(handle.metadata()['looptrans'])
    assert document.pop('method') == 'looptrans'
    safetensors.torch.save_file(state, str(path), metadata={'looptrans': json.dumps(document)})
    model, loaded = load_checkpoint(path)
    assert loaded.method == model.method == 'looptrans'


def changed_state(tiny_file, change):
    state = dict(torch.load(tiny_file[1], weights_only=True))
    change(state)
    return state


@pytest.mark.parametrize('change, match', [
    (lambda s: s.update({'aff_fc.weight': s['aff_fc.weight'][:30],
                         'aff_fc.bias': s['aff_fc.bias'][:30]}),
     r"30 outputs matches no AGD20K split; expected \{'Seen': 36, 'Unseen': 25\} \(a LOCATE"),
    (lambda s: s.update({'pixel_dec.0.weight': s['aff_ego_proj.0.weight']}),
     r"holds LOCATE's aff_ego_proj\.\* and LoopTrans's pixel_dec\.\*"),
    (lambda s: s.pop('aff_ego_proj.3.weight'),
     r"does not fit a LOCATE model .* 36 \+ 0 classes: missing keys \['aff_ego_proj.3.weight'\]"),
    (lambda s: s.update({'aff_ego_proj.4.bias': s['aff_ego_proj.4.bias'] * float('nan')}),
     'NaN or infinite weights'),
], ids=['rows', 'mixed-layouts', 'missing', 'nan'])
def test_unfit_locate_files_are_refused_naming_the_reason(tiny_file, tmp_path, change, match):
    path = tmp_path / 'bad.pth'
    torch.save(changed_state(tiny_file, change), path)
    with pytest.raises(CheckpointError, match=match) as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)


def test_an_unknown_method_in_our_metadata_is_refused(tiny_file, tmp_path):
    model, metadata = load_checkpoint(tiny_file[1])
    path = save_checkpoint(model, tmp_path / 'm.safetensors', metadata)
    state = safetensors.torch.load_file(str(path))
    with safetensors.safe_open(str(path), framework='pt') as handle:
        document = json.loads(handle.metadata()['looptrans'])
    safetensors.torch.save_file(state, str(path), metadata={
        'looptrans': json.dumps({**document, 'method': 'lokate'})})
    with pytest.raises(CheckpointError, match=r"method 'lokate'; expected one of \('looptrans', "
                                              r"'locate'\)"):
        load_checkpoint(path)


def test_a_code_running_pickle_with_locate_keys_is_refused(tmp_path):
    class Payload:

        def __reduce__(self):
            return (print, ('ran',))

    path = tmp_path / 'evil.pth'
    torch.save({'aff_ego_proj.0.weight': Payload()}, path)
    with pytest.raises(CheckpointError, match='was refused: loading it could run code$'):
        load_checkpoint(path)


def test_the_ground_command_shows_the_method(tiny_file, tmp_path, capsys):
    image_path = tmp_path / 'scene.png'
    cv2.imwrite(str(image_path), scene((96, 128))[..., ::-1])
    assert main(['ground', '--checkpoint', str(tiny_file[1]), '--image', str(image_path),
                 '--action', 'hold', '--out', str(tmp_path / 'out'), '--device', 'cpu']) == 0
    assert 'model: locate, 36 affordances' in capsys.readouterr().out
    assert (tmp_path / 'out' / 'scene_hold.npy').is_file()


def test_the_convert_command_writes_our_format_with_the_same_maps(tiny_file, tmp_path,
                                                                  capsys, images):
    net, path = tiny_file
    out = tmp_path / 'locate_seen.safetensors'
    assert main(['convert', '--checkpoint', str(path), '--out', str(out)]) == 0
    assert 'method locate, Seen, 36 affordances' in capsys.readouterr().out
    model, metadata = load_checkpoint(out)
    assert metadata.method == 'locate' and metadata.description.endswith('locate_seen.pth')
    with torch.no_grad():
        assert max_relative(model(images), net.ego_pred(images)) < RAW_TOLERANCE
    assert main(['convert', '--checkpoint', str(path), '--out', str(tmp_path / 'x.pth')]) == 2
    assert '--out must name a .safetensors file' in capsys.readouterr().err
