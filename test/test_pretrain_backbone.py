"""pretrain-backbone: object labels only, a file create_vit loads, a loss that goes down."""
import json
import shutil

import pytest
import safetensors
import torch
from train_fixtures import mini_root  # noqa: F401
import yaml

from looptrans_core.cli import main
from looptrans_core.model.backbone import create_vit, extract_features
from looptrans_core.model.backbone_registry import get_backbone_config
from looptrans_core.train.config import load_config, to_dict
from looptrans_core.train.pretrain_backbone import (BACKBONE_FILE, object_images,
                                                    pretrain_backbone, PRETRAIN_CONFIG_FILE,
                                                    PretrainConfig)
from synth_fixtures import synth_root  # noqa: F401


def test_labels_are_object_folders_of_the_training_images_only(mini_root):  # noqa: F811
    paths, labels, objects = object_images(str(mini_root), 'Seen')
    assert objects == ('chair', 'knife')
    assert all('trainset' in str(p) for p in paths)
    assert all(objects[label] == p.parent.name for p, label in zip(paths, labels))


def test_pretrain_lowers_the_loss_and_writes_a_loadable_backbone(mini_root, tmp_path):  # noqa
    config = PretrainConfig(str(mini_root), epochs=4, batch_size=8, lr=2e-3, seed=0,
                            device='cpu')
    history = pretrain_backbone(config, tmp_path)
    assert history[-1][0] < history[0][0]
    saved = load_config(tmp_path / PRETRAIN_CONFIG_FILE, kind=PretrainConfig)
    assert to_dict(saved) == to_dict(config)
    path = tmp_path / BACKBONE_FILE
    with safetensors.safe_open(str(path), framework='pt') as handle:
        info = json.loads(handle.metadata()['pretrain'])
        assert not any(key.startswith('head.') for key in handle.keys())
    assert info['objects'] == ['chair', 'knife']
    backbone = get_backbone_config('vit_tiny_synth')
    vit = create_vit(backbone, path)
    saved = safetensors.torch.load_file(str(path))
    assert torch.equal(vit.state_dict()['blocks.0.attn.qkv.weight'],
                       saved['blocks.0.attn.qkv.weight'])
    features = extract_features(vit, torch.zeros(1, 3, 224, 224), with_cls_attention=True)
    assert features.keys.shape == (1, 196, 64) and features.cls_attention.shape == (1, 14, 14)


def test_one_object_is_refused(mini_root, tmp_path):  # noqa: F811
    root = tmp_path / 'one'
    for subset in ('trainset/exocentric', 'trainset/egocentric'):
        shutil.copytree(mini_root / 'Seen' / subset / 'sit_on', root / 'Seen' / subset / 'sit_on')
    with pytest.raises(ValueError, match='at least 2 object folders'):
        object_images(str(root), 'Seen')


def test_zero_epochs_refused_from_flag_file_or_override(mini_root, tmp_path, capsys):  # noqa
    config = tmp_path / 'pretrain.yaml'
    config.write_text(yaml.safe_dump({'epochs': 0, 'batch_size': 4}))
    common = ['pretrain-backbone', '--data-root', str(mini_root), '--out', str(tmp_path)]
    for extra in (['--epochs', '0'], ['--config', str(config)], ['epochs=0']):
        assert main([*common, *extra]) == 2
        assert 'epochs and batch_size must be >= 1, got 0' in capsys.readouterr().err
    assert not (tmp_path / BACKBONE_FILE).exists()
