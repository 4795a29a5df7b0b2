"""The part-cluster module: both forwards, loading, checkpoints and the train-cluster command."""
import pytest
import torch
import torch.nn.functional as F
from train_fixtures import mini_root  # noqa: F401
import yaml

from looptrans_core import cli
from looptrans_core.checkpoints import CheckpointMetadata, load_checkpoint, save_checkpoint
from looptrans_core.model.cluster import cluster_from_state, PartCluster
from looptrans_core.train.cluster_io import load_cluster_file, save_cluster_file
from looptrans_core.train.cluster_train import (CLUSTER_CONFIG_FILE, CLUSTER_FILE,
                                                ClusterTrainConfig)
from looptrans_core.train.config import load_config, to_dict
from model_factory import make_tiny_model
from synth_fixtures import synth_root  # noqa: F401


def reference_forward(cluster: PartCluster, keys: torch.Tensor, update_reads: bool):
    """Run the published loop written out batch-first; `update_reads` feeds the updated tokens."""
    query = cluster.tokens.weight.unsqueeze(0).expand(keys.shape[0], -1, -1)
    initial = query.permute(1, 0, 2)
    keys_seq = keys.permute(1, 0, 2)
    for cross, attn, norm, ffn in zip(cluster.cross_attn_layers, cluster.self_attn_layers,
                                      cluster.norm_layers, cluster.ffn_layers):
        reads = query.permute(1, 0, 2) if update_reads else initial
        query = query + cross(reads, keys_seq, keys_seq)[0].permute(1, 0, 2)
        reads = query.permute(1, 0, 2) if update_reads else initial
        query = query + attn(reads, reads, reads)[0].permute(1, 0, 2)
        query = norm(query + ffn(query))
    tokens = F.normalize(query, dim=-1)
    return F.normalize(keys, dim=-1) @ tokens.transpose(1, 2) + 1


@pytest.fixture
def keys() -> torch.Tensor:
    return torch.randn(2, 196, 64, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('mode,update_reads', [('published', False), ('corrected', True)])
def test_forwards_match_reference(keys, mode, update_reads):
    torch.manual_seed(0)
    cluster = PartCluster(64, num_layers=3, forward_mode=mode).eval()
    with torch.no_grad():
        expected = reference_forward(cluster, keys, update_reads)
        assert torch.allclose(cluster(keys), expected, atol=1e-5)


def test_forwards_differ_and_output_range(keys):
    torch.manual_seed(0)
    published = PartCluster(64, num_layers=3, forward_mode='published').eval()
    corrected = PartCluster(64, num_layers=3, forward_mode='corrected').eval()
    corrected.load_state_dict(published.state_dict())
    with torch.no_grad():
        a, b = published(keys), corrected(keys)
    assert a.shape == (2, 196, 4)
    assert not torch.allclose(a, b, atol=1e-3)
    assert a.min() >= 0 and a.max() <= 2 + 1e-6


def test_unknown_forward_mode():
    with pytest.raises(ValueError, match='published'):
        PartCluster(64, forward_mode='fixed')


def test_published_keys_and_shapes():
    state = PartCluster(384).state_dict()
    assert state['tokens.weight'].shape == (4, 384)
    assert 'cross_attn_layers.7.in_proj_weight' in state
    assert 'self_attn_layers.7.out_proj.weight' in state
    assert state['ffn_layers.0.net.0.weight'].shape == (1536, 384)
    assert 'ffn_layers.0.net.3.bias' in state and 'norm_layers.7.weight' in state
    rebuilt = cluster_from_state(state, 'published')
    assert len(rebuilt.cross_attn_layers) == 8 and rebuilt.forward_mode == 'published'


def test_published_pth_file_runs_published_forward(tmp_path, keys):
    path = tmp_path / 'cluster_seen.pth'
    torch.save(PartCluster(64, num_layers=2).state_dict(), path)
    cluster = load_cluster_file(path, dim=64)
    assert cluster.forward_mode == 'published'
    assert not any(p.requires_grad for p in cluster.parameters())
    with pytest.raises(ValueError, match='384'):
        load_cluster_file(path, dim=384)


def test_our_cluster_file_keeps_its_forward(tmp_path, keys):
    cluster = PartCluster(64, num_layers=2, forward_mode='corrected').eval()
    path = save_cluster_file(cluster, tmp_path / 'cluster.safetensors', 'vit_tiny_test')
    loaded = load_cluster_file(path, dim=64)
    assert loaded.forward_mode == 'corrected'
    with torch.no_grad():
        assert torch.allclose(loaded(keys), cluster(keys), atol=1e-6)


def test_missing_cluster_file_says_how_to_get_one(tmp_path):
    with pytest.raises(ValueError, match='train-cluster'):
        load_cluster_file(None, dim=64)
    with pytest.raises(ValueError, match='cluster_seen.pth'):
        load_cluster_file(tmp_path / 'nope.pth', dim=64)


@pytest.mark.parametrize('mode', ['published', 'corrected'])
def test_checkpoint_carries_cluster(tmp_path, keys, mode):
    model = make_tiny_model()
    model.cluster = PartCluster(64, num_layers=2, forward_mode=mode).eval()
    metadata = CheckpointMetadata('vit_tiny_test', tuple(f'a{i}' for i in range(36)), 'Seen')
    path = save_checkpoint(model, tmp_path / 'model.safetensors', metadata)
    loaded, loaded_meta = load_checkpoint(path)
    assert loaded_meta.cluster_forward == mode
    with torch.no_grad():
        assert torch.allclose(loaded.cluster(keys), model.cluster(keys), atol=1e-6)


def test_published_state_dict_with_cluster_loads_published_forward(tmp_path):
    model = make_tiny_model()
    model.cluster = PartCluster(64, num_layers=2)
    path = tmp_path / 'published.pth'
    torch.save(model.state_dict(), path)
    loaded, metadata = load_checkpoint(path)
    assert metadata.cluster_forward == 'published'
    assert loaded.cluster.forward_mode == 'published'
    assert torch.equal(loaded.cluster.tokens.weight, model.cluster.tokens.weight)


def test_train_cluster_command_resolves_config_flags_and_overrides(mini_root, tmp_path):  # noqa
    config = tmp_path / 'cluster.yaml'
    config.write_text(yaml.safe_dump({'backbone': 'vit_tiny_test', 'num_layers': 3, 'epochs': 1,
                                      'batch_size': 4, 'lr': 0.5, 'num_workers': 0}))
    out = tmp_path / 'out'
    assert cli.main(['train-cluster', '--config', str(config), '--data-root', str(mini_root),
                     '--out', str(out), '--layers', '1', '--backbone-weights', 'none',
                     '--device', 'cpu', 'lr=1e-3', '--set', 'seed=3']) == 0
    saved = load_config(out / CLUSTER_CONFIG_FILE, kind=ClusterTrainConfig)
    expected = ClusterTrainConfig(str(mini_root), backbone='vit_tiny_test', backbone_weights=None,
                                  num_layers=1, epochs=1, batch_size=4, lr=1e-3, seed=3,
                                  device='cpu', num_workers=0)
    assert to_dict(saved) == to_dict(expected)
    assert len(load_cluster_file(out / CLUSTER_FILE, dim=64).cross_attn_layers) == 1


def test_train_cluster_command_refuses_bad_settings_by_name(mini_root, tmp_path, capsys):  # noqa
    assert cli.main(['train-cluster', '--data-root', str(mini_root), '--out', str(tmp_path),
                     'num_layer=2']) == 2
    assert "unknown config key(s) ['num_layer']" in capsys.readouterr().err
    assert cli.main(['train-cluster', '--out', str(tmp_path), 'epochs=2']) == 2
    assert 'no data root' in capsys.readouterr().err
