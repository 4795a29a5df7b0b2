"""Training: one step, gradients, optimiser groups, configuration, resume, the CLI end to end."""
import json

import pytest
import safetensors.torch
import torch
from train_fixtures import mini_root, tiny_cluster_file, tiny_overrides  # noqa: F401
import yaml

from looptrans_core import cli
from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.data.agd20k import AGD20KTrainSet
from looptrans_core.model.cluster import PartCluster
from looptrans_core.train.cluster_io import freeze_cluster
from looptrans_core.train.config import load_config, LossConfig, OptimConfig, to_dict
from looptrans_core.train.data import TrainingData
from looptrans_core.train.optim import build_optimizer
from looptrans_core.train.step import TrainingStep
from model_factory import make_tiny_model
from synth_fixtures import synth_root  # noqa: F401


@pytest.fixture
def step() -> TrainingStep:
    model = make_tiny_model().train()
    model.cluster = freeze_cluster(PartCluster(64, num_layers=2))
    return TrainingStep(model, LossConfig())


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(2, 3, 3, 224, 224, generator=generator),
            torch.randn(2, 3, 224, 224, generator=generator), torch.tensor([3, 17]))


def test_one_step_lowers_the_loss(step, batch):
    optimizer, _ = build_optimizer(step.model, OptimConfig())
    before = sum(step(*batch).values())
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = sum(step(*batch).values())
    assert set(step(*batch)) == {'cls', 'mse', 'dice', 'corr', 'denoise', 'concentration'}
    assert after < before


def test_heads_get_gradients_backbone_and_cluster_none(step, batch):
    sum(step(*batch).values()).backward()
    heads = [(n, p) for n, p in step.model.named_parameters()
             if not n.startswith(('vit_model.', 'cluster.'))]
    assert heads and all(p.grad is not None and p.grad.abs().sum() > 0 for _, p in heads), \
        [n for n, p in heads if p.grad is None or p.grad.abs().sum() == 0]
    assert all(p.grad is None for p in step.model.vit_model.parameters())
    assert all(p.grad is None for p in step.model.cluster.parameters())


def test_optimizer_groups(step):
    optimizer, scheduler = build_optimizer(step.model, OptimConfig(lr=0.01))
    lrs = sorted(group['lr'] for group in optimizer.param_groups)
    assert lrs == pytest.approx([0.01, 0.02, 0.1, 0.2])
    trainable = {id(p) for p in step.model.parameters() if p.requires_grad}
    grouped = [id(p) for group in optimizer.param_groups for p in group['params']]
    assert sorted(grouped) == sorted(trainable)
    assert optimizer.defaults['nesterov'] and scheduler.step_size == 5
    classifier, _ = build_optimizer(step.model, OptimConfig(classifier_match='aff_fc'))
    by_lr = {group['lr']: len(group['params']) for group in classifier.param_groups}
    assert by_lr[1e-2] == 1 and by_lr[2e-2] == 1


def flat(config) -> dict:
    """Every setting of a config as 'section.key' (or 'key') -> value."""
    items = {}
    for name, value in to_dict(config).items():
        if isinstance(value, dict):
            items.update({f'{name}.{key}': setting for key, setting in value.items()})
        else:
            items[name] = value
    return items


def test_published_recipe_is_one_switch_and_differs_from_ours_only_where_published_does():
    seen, ours = load_config('config/train_seen.yaml'), load_config()
    assert flat(seen) == flat(load_config(None, ['recipe=published']))
    differing = {key for key, value in flat(seen).items() if flat(ours)[key] != value}
    assert differing == {'recipe', 'select_on', 'deterministic', 'data.val_fraction',
                         'data.image_backend'}
    assert seen.select_on == 'test' and seen.data.val_fraction == 0.0 and seen.deterministic
    assert seen.loss.pseudo_mask == ours.loss.pseudo_mask == 'published'
    assert seen.optim.lr == 1e-3 and seen.batch_size == 16 and seen.epochs == 5
    unseen = flat(load_config('config/train_unseen.yaml'))
    assert unseen == {**flat(seen), 'data.divide': 'Unseen'}
    with pytest.raises(ValueError, match='recipe: published sets data.val_fraction: 0.0'):
        load_config('config/train_seen.yaml', ['data.val_fraction=0.1'])
    assert load_config('config/train_seen.yaml', ['recipe=ours', 'select_on=validation',
                                                  'data.val_fraction=0.1']).recipe == 'ours'


def test_published_recipe_reads_images_with_pil_and_ours_with_opencv(mini_root):  # noqa: F811
    published = load_config('config/train_seen.yaml', [f'data.root={mini_root}'])
    ours = load_config(None, [f'data.root={mini_root}'])
    assert published.data.image_backend == 'pil' and ours.data.image_backend == 'opencv'
    for config, backend in ((published, 'pil'), (ours, 'opencv')):
        data = TrainingData.build(config)
        assert {data.train.image_backend, data.test.image_backend} == {backend}
    assert data.val.image_backend == 'opencv'
    assert load_config(None, ['data.image_backend=pil']).data.image_backend == 'pil'
    with pytest.raises(ValueError, match="recipe: published sets data.image_backend: 'pil', "
                                         "but the config gives 'opencv'"):
        load_config('config/train_seen.yaml', ['data.image_backend=opencv'])
    with pytest.raises(ValueError, match=r"data.image_backend must be one of \('opencv', 'pil'\)"):
        load_config(None, ['data.image_backend=cv2'])


def test_overrides_and_errors(tmp_path):
    config = load_config(None, ['optim.lr=0.01', 'epochs=2', 'model.cluster=null'])
    assert config.optim.lr == 0.01 and config.epochs == 2 and config.model.cluster is None
    with pytest.raises(ValueError, match="unknown config key.*'optim.lrr'"):
        load_config(None, ['optim.lrr=1'])
    with pytest.raises(ValueError, match='key=value'):
        load_config(None, ['epochs'])
    with pytest.raises(ValueError, match='select_on'):
        load_config(None, ['select_on=best'])
    with pytest.raises(ValueError, match="loss.pseudo_mask must be one of .'published', 'robust'"):
        load_config(None, ['loss.pseudo_mask=best'])
    with pytest.raises(ValueError, match='recipe must be one of'):
        load_config(None, ['recipe=paper'])


def train(*args) -> int:
    return cli.main(['train', *args])


def weights(path):
    return safetensors.torch.load_file(str(path))


def test_train_end_to_end(mini_root, tiny_cluster_file, tmp_path):  # noqa: F811
    out = tmp_path / 'run'
    assert train('--data-root', str(mini_root), '--out', str(out), '--set', 'epochs=1',
                 *tiny_overrides(tiny_cluster_file)) == 0
    for name in ('best.safetensors', 'last.safetensors', 'resume.pt', 'train.log',
                 'curves.png', 'history.json', 'config.yaml'):
        assert (out / name).is_file(), name
    saved = yaml.safe_load((out / 'config.yaml').read_text())
    assert saved['data']['root'] == str(mini_root) and saved['batch_size'] == 3
    record = json.loads((out / 'history.json').read_text())[0]
    assert {'train_loss', 'val_loss', 'KLD', 'SIM', 'NSS'} <= set(record)
    model, metadata = load_checkpoint(out / 'best.safetensors')
    assert metadata.training_config['model']['backbone'] == 'vit_tiny_test'
    assert metadata.cluster_forward == 'corrected' and model.cluster is not None
    assert train('--data-root', str(mini_root), '--out', str(out)) == 2  # refuses to overwrite


def test_published_recipe_trains_on_every_sample_and_keeps_the_best_test_kld(
        mini_root, tiny_cluster_file, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(torch.backends.cudnn, 'deterministic', False)
    out = tmp_path / 'published'
    assert train('--config', 'config/train_seen.yaml', '--data-root', str(mini_root), '--out',
                 str(out), 'epochs=2', *tiny_overrides(tiny_cluster_file)) == 0
    samples = len(AGD20KTrainSet(mini_root, 'Seen'))
    log = (out / 'train.log').read_text()
    assert f'recipe published: training {samples} samples (0 held out)' in log
    assert 'pseudo masks published' in log and 'corrected-forward cluster file' in log
    history = json.loads((out / 'history.json').read_text())
    assert not any('val_loss' in record for record in history)
    assert history[-1]['best_epoch'] == min(history, key=lambda r: r['KLD'])['epoch']
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_resume_reproduces_the_next_epoch(mini_root, tiny_cluster_file, tmp_path):  # noqa: F811
    common = ['--data-root', str(mini_root), *tiny_overrides(tiny_cluster_file),
              'evaluate_every_epoch=false']
    assert train('--out', str(tmp_path / 'straight'), *common, 'epochs=2') == 0
    assert train('--out', str(tmp_path / 'resumed'), *common, 'epochs=1') == 0
    assert train('--resume', str(tmp_path / 'resumed'), 'epochs=2') == 0
    straight = weights(tmp_path / 'straight' / 'last.safetensors')
    resumed = weights(tmp_path / 'resumed' / 'last.safetensors')
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
    history = json.loads((tmp_path / 'resumed' / 'history.json').read_text())
    assert [r['epoch'] for r in history] == [1, 2]


def test_missing_cluster_file_explains(mini_root, tmp_path, capsys):  # noqa: F811
    assert train('--data-root', str(mini_root), '--out', str(tmp_path / 'run'),
                 'model.backbone=vit_tiny_test', 'model.backbone_weights=null') == 2
    assert 'train-cluster' in capsys.readouterr().err
