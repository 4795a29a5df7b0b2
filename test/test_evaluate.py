"""`evaluate` end to end on a generated tree: the protocol, the prior, saved maps and the CLI."""
import json

import cv2
import numpy as np
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, save_checkpoint
from looptrans_core.cli import main
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.evaluation import CenterBiasPrior, evaluate
from looptrans_core.metrics import kld, nss, sim
from looptrans_core.preprocess import normalise_batch
from model_factory import make_tiny_model
from synth_fixtures import synth_copy, synth_root  # noqa: F401


@pytest.fixture(scope='module')
def tiny_model():
    return make_tiny_model()


def published_image_metrics(model, item):
    """One image through the protocol written out step by step."""
    tensor = torch.from_numpy(item['image']).permute(2, 0, 1)
    config = model.backbone_config
    batch = normalise_batch([tensor], 224, config.mean, config.std)
    with torch.no_grad():
        raw = model(batch)[0, item['label']].numpy()
    pred = cv2.resize(raw, (224, 224), interpolation=cv2.INTER_LINEAR)
    pred = (pred - pred.min()) / (pred.max() - pred.min() + 1e-10)
    gt = cv2.resize(item['gt'] / 255.0, (224, 224), interpolation=cv2.INTER_LINEAR)
    return {'KLD': kld(pred, gt), 'SIM': sim(pred, gt), 'NSS': nss(pred, gt)}


def test_evaluate_follows_the_protocol(tiny_model, synth_root):  # noqa: F811
    test_set = AGD20KTestSet(synth_root, 'Seen')
    tiny_model.train()
    result = evaluate(tiny_model, test_set, 'cpu', batch_size=5)
    assert tiny_model.training  # mode restored
    assert result.num_images == len(test_set) and result.skipped == 0
    assert set(result.per_image) == {path for _, _, path in test_set.items}
    for index in (0, len(test_set) - 1):
        item = test_set[index]
        expected = published_image_metrics(tiny_model.eval(), item)
        for name, value in expected.items():
            assert result.per_image[item['path']][name] == pytest.approx(value, rel=1e-5)
    for name, mean in (('KLD', result.kld), ('SIM', result.sim), ('NSS', result.nss)):
        assert mean == pytest.approx(np.mean([v[name] for v in result.per_image.values()]))
        assert np.isfinite(mean)


def test_center_bias_prior(synth_root, tmp_path):  # noqa: F811
    prior = CenterBiasPrior(len(SEEN_AFFORDANCES))
    maps = prior(torch.zeros(2, 3, 224, 224))
    assert maps.shape == (2, len(SEEN_AFFORDANCES), 14, 14)
    centre = maps[0, 0]
    assert centre[6:8, 6:8].min() == centre.max() and centre[0, 0] < 0.1 * centre.max()
    assert torch.equal(centre, centre.T) and torch.equal(centre, centre.flip(0))
    test_set = AGD20KTestSet(synth_root, 'Seen')
    result = evaluate(prior, test_set, 'cpu', batch_size=8, save_maps=tmp_path / 'maps')
    saved = sorted(tmp_path.joinpath('maps').rglob('*.png'))
    assert len(saved) == len(test_set)
    first = cv2.imread(str(saved[0]), cv2.IMREAD_GRAYSCALE)
    assert first.shape == (224, 224) and first[112, 112] == 255 and first[0, 0] < 30
    assert 0 < result.sim < 1 and result.kld > 0
    with pytest.raises(ValueError, match='sigma must be > 0'):
        CenterBiasPrior(3, sigma=0)


def test_skipped_images_are_reported(tiny_model, synth_copy):  # noqa: F811
    next((synth_copy / 'Seen/testset/GT').rglob('*.png')).unlink()
    result = evaluate(tiny_model, AGD20KTestSet(synth_copy, 'Seen'), 'cpu')
    assert result.skipped == 1


def test_evaluate_command(tiny_model, synth_root, tmp_path, capsys):  # noqa: F811
    checkpoint = save_checkpoint(tiny_model, tmp_path / 'tiny.safetensors', CheckpointMetadata(
        backbone='vit_tiny_test', affordances=SEEN_AFFORDANCES, divide='Seen'))
    out = tmp_path / 'result.json'
    assert main(['evaluate', '--data-root', str(synth_root), '--divide', 'Seen', '--checkpoint',
                 str(checkpoint), '--json', str(out), '--device', 'cpu']) == 0
    printed = capsys.readouterr().out
    document = json.loads(out.read_text())
    assert set(document) == {'KLD', 'SIM', 'NSS', 'num_images', 'per_image'}
    assert document['num_images'] == len(document['per_image']) > 0
    assert f'KLD {document["KLD"]:.4f}' in printed
    assert f'images {document["num_images"]}' in printed
    assert set(next(iter(document['per_image'].values()))) == {'KLD', 'SIM', 'NSS'}


def test_evaluate_command_errors(tiny_model, synth_root, tmp_path, capsys):  # noqa: F811
    checkpoint = save_checkpoint(tiny_model, tmp_path / 'tiny.safetensors', CheckpointMetadata(
        backbone='vit_tiny_test', affordances=SEEN_AFFORDANCES, divide='Seen'))
    assert main(['evaluate', '--data-root', str(tmp_path), '--divide', 'Seen',
                 '--center-bias']) == 2
    assert 'Seen/testset' in capsys.readouterr().err
    generate_unseen = ['synth', '--out', str(tmp_path), '--divide', 'Unseen']
    assert main(generate_unseen) == 0
    assert main(['evaluate', '--data-root', str(tmp_path), '--divide', 'Unseen',
                 '--checkpoint', str(checkpoint)]) == 2
    assert 'the Unseen divide needs its 25' in capsys.readouterr().err
