"""The synthetic AGD20K generator: layout, names, GT maps, determinism, scenes and the CLI."""
import filecmp
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.cli import main
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.data.synth import folder_pairs, generate, SIZES
from looptrans_core.data.synth_objects import OBJECTS, UNSEEN_TEST_OBJECTS
from looptrans_core.data.synth_paint import SKIN_TONES
from looptrans_core.data.synth_scene import ego_scene, exo_scene, render_scene
from looptrans_core.evaluation import CenterBiasPrior, evaluate
from looptrans_core.preprocess import normalise_batch
from model_factory import make_tiny_model
from synth_fixtures import synth_root  # noqa: F401


def relative_files(root: Path):
    return sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file())


def test_layout_matches_agd20k(synth_root):  # noqa: F811
    seen = synth_root / 'Seen'
    subsets = ('trainset/exocentric', 'trainset/egocentric', 'testset/egocentric', 'testset/GT')
    size = SIZES['small']
    for subset in subsets:
        folders = [p for p in (seen / subset).glob('*/*') if p.is_dir()]
        assert folders, subset
        for folder in folders:
            assert folder.parent.name in SEEN_AFFORDANCES
            assert folder.name in {o.name for o in OBJECTS}
    for folder in (seen / 'trainset/exocentric').glob('*/*'):
        assert len(list(folder.glob('*.jpg'))) == size.exocentric
    for image in (seen / 'testset/egocentric').rglob('*.jpg'):
        gt_path = seen / 'testset/GT' / image.parent.parent.name / image.parent.name
        gt = cv2.imread(str(gt_path / f'{image.stem}.png'), cv2.IMREAD_UNCHANGED)
        assert gt.dtype == np.uint8 and gt.ndim == 2
        assert gt.shape == cv2.imread(str(image)).shape[:2]
        assert gt.max() == 255 and gt.min() == 0


def test_same_seed_same_files_other_seed_other_files(synth_root, tmp_path):  # noqa: F811
    generate(tmp_path / 'again', 'Seen', 'small', seed=0)
    generate(tmp_path / 'other', 'Seen', 'small', seed=1)
    files = relative_files(synth_root)
    assert files == relative_files(tmp_path / 'again') == relative_files(tmp_path / 'other')
    match, mismatch, errors = filecmp.cmpfiles(synth_root, tmp_path / 'again', files,
                                               shallow=False)
    assert not mismatch and not errors
    _, differ, _ = filecmp.cmpfiles(synth_root, tmp_path / 'other', files, shallow=False)
    assert len(differ) > len(files) // 2


def test_unseen_divide_holds_test_objects_out(tmp_path):
    generate(tmp_path, 'Unseen', 'small', seed=0)
    train_objects = {p.name for p in (tmp_path / 'Unseen/trainset/exocentric').glob('*/*')}
    test_folders = list((tmp_path / 'Unseen/testset/egocentric').glob('*/*'))
    assert {p.name for p in test_folders} == set(UNSEEN_TEST_OBJECTS)
    assert not train_objects & set(UNSEEN_TEST_OBJECTS)
    train_actions = {p.name for p in (tmp_path / 'Unseen/trainset/exocentric').iterdir()}
    assert {p.parent.name for p in test_folders} <= train_actions <= set(UNSEEN_AFFORDANCES)


def test_refuses_to_overwrite_and_unknown_names(synth_root):  # noqa: F811
    with pytest.raises(ValueError, match='not empty'):
        generate(synth_root, 'Seen', 'small')
    with pytest.raises(ValueError, match='unknown size'):
        generate(synth_root / 'x', 'Seen', 'huge')
    with pytest.raises(ValueError, match='unknown divide'):
        generate(synth_root / 'x', 'seen')


def test_parts_look_different_and_gt_covers_the_part():
    rng = np.random.default_rng(3)
    knife = OBJECTS[0]
    scene = ego_scene(rng, (160, 200), knife)
    blade, handle = scene.part_masks['cut_with'], scene.part_masks['hold']
    assert blade.sum() > 50 and handle.sum() > 50 and not (blade & handle).any()
    colours = [scene.image[mask].mean(axis=0) for mask in (blade, handle)]
    assert np.abs(colours[0] - colours[1]).max() > 40
    heat = scene.heatmap('cut_with')
    assert heat.dtype == np.float32 and heat.max() == pytest.approx(1.0)
    assert heat[blade].mean() > 3 * heat[handle].mean()


def test_exocentric_hand_covers_part_of_the_action():
    cup = next(o for o in OBJECTS if o.name == 'cup')
    skin = np.array(SKIN_TONES)
    for seed in range(5):
        scene = exo_scene(np.random.default_rng(seed), (160, 160), cup, 'drink_with')
        assert scene.affordances == ('hold', 'drink_with')
        rim = scene.image[scene.part_masks['drink_with']]
        is_skin = (rim[:, None, :] == skin[None]).all(axis=2).any(axis=1)
        assert 0 < is_skin.sum() < len(rim), seed


@pytest.mark.parametrize('name, action', [('knife', 'cut_with'), ('bicycle', 'push')])
def test_exocentric_images_are_framed_on_the_interaction(name, action):
    obj = next(o for o in OBJECTS if o.name == name)
    exo = [exo_scene(np.random.default_rng(seed), (128, 128), obj, action) for seed in range(8)]
    ego = [ego_scene(np.random.default_rng(seed), (128, 128), obj) for seed in range(8)]
    share = {kind: np.mean([scene.part_masks[action].mean() for scene in scenes])
             for kind, scenes in (('exo', exo), ('ego', ego))}
    assert share['exo'] > 3 * share['ego'], share  # measured: 4.5 (knife), 4.9 (bicycle) times


def test_render_scene_api():
    image, actions = render_scene(np.random.default_rng(0), size=(48, 64), object_name='bicycle')
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert set(actions) == {'sit_on', 'ride', 'push'}
    again, _ = render_scene(np.random.default_rng(0), size=(48, 64), object_name='bicycle')
    assert np.array_equal(image, again)
    with pytest.raises(ValueError, match='unknown synthetic object'):
        render_scene(np.random.default_rng(0), object_name='spaceship')
    with pytest.raises(ValueError, match='height, width'):
        render_scene(np.random.default_rng(0), size=(8, 8))


def test_synth_command(tmp_path, capsys):
    assert main(['synth', '--out', str(tmp_path), '--seed', '2']) == 0
    assert 'wrote' in capsys.readouterr().out
    assert any((tmp_path / 'Seen/testset/GT').rglob('*.png'))
    assert main(['synth', '--out', str(tmp_path)]) == 2
    assert 'not empty' in capsys.readouterr().err


def fit_heads_on_gt(model, scenes, steps: int = 20):
    """Train the heads of `model` on the GT maps of (scene, action) pairs, full batch."""
    config = model.backbone_config
    images = [torch.from_numpy(scene.image).permute(2, 0, 1) for scene, _ in scenes]
    features = model.backbone_features(
        normalise_batch(images, config.input_size, config.mean, config.std))
    labels = torch.tensor([SEEN_AFFORDANCES.index(action) for _, action in scenes])
    targets = torch.from_numpy(np.stack([
        cv2.resize(scene.heatmap(action), features.grid[::-1], interpolation=cv2.INTER_AREA)
        for scene, action in scenes]))
    heads = [p for name, p in model.named_parameters() if not name.startswith('vit_model.')]
    optimiser = torch.optim.Adam(heads, lr=1e-2)
    model.train()
    for _ in range(steps):
        logits = model.ego_prediction(model.project(features))[torch.arange(len(labels)), labels]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def test_parts_are_learnable_beyond_the_centre_prior(synth_root):  # noqa: F811
    """Heads fitted on other scenes find the parts of the test images better than a prior."""
    torch.manual_seed(0)
    rng = np.random.default_rng(7)
    scenes = [(ego_scene(rng, (128, 128), obj), action)
              for action, obj in folder_pairs('Seen', 'test') for _ in range(2)]
    test_set = AGD20KTestSet(synth_root, 'Seen')
    results = {name: evaluate(model, test_set, batch_size=32) for name, model in (
        ('fitted', fit_heads_on_gt(make_tiny_model(), scenes)), ('untrained', make_tiny_model()),
        ('prior', CenterBiasPrior(len(SEEN_AFFORDANCES), backbone='vit_tiny_test')))}
    fitted, untrained, prior = results['fitted'], results['untrained'], results['prior']
    assert fitted.kld < prior.kld - 0.1 < untrained.kld, results
    assert fitted.sim > prior.sim > untrained.sim, results
    assert fitted.nss > prior.nss + 0.5 > untrained.nss + 0.5, results
