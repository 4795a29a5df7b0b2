"""The demo command and the bundled synthetic-data demo model."""
import json

import cv2
import numpy as np

from looptrans_core import cli, default_model
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, load_checkpoint, save_checkpoint
from looptrans_core.commands import demo
from looptrans_core.data.synth_objects import object_by_name
from looptrans_core.data.synth_scene import ego_scene
from looptrans_core.overview import LABEL_HEIGHT
from model_factory import make_tiny_model


def test_bundled_demo_model_is_small_and_labelled():
    assert default_model.DEMO_MODEL.is_file(), 'rebuild it with `make demo-model`'
    assert default_model.DEMO_MODEL.stat().st_size < 10 * 1024 * 1024
    model, metadata = load_checkpoint(default_model.DEMO_MODEL)
    assert 'synthetic' in metadata.description.lower()
    assert metadata.backbone == 'vit_tiny_synth' and metadata.affordances == SEEN_AFFORDANCES


def test_demo_writes_overlays_and_prints_peaks(tmp_path, capsys):
    checkpoint = save_checkpoint(make_tiny_model(), tmp_path / 'tiny.safetensors',
                                 CheckpointMetadata('vit_tiny_test', SEEN_AFFORDANCES, 'Seen'))
    out = tmp_path / 'demo'
    assert cli.main(['demo', '--out', str(out), '--checkpoint', str(checkpoint),
                     '--device', 'cpu']) == 0
    printed = capsys.readouterr().out
    for action in ('cut_with', 'hold'):
        assert (out / f'scene_{action}_overlay.png').is_file()
        assert f'{action}: peaks' in printed
    assert (out / 'scene.png').is_file()
    overview = cv2.imread(str(out / 'overview.png'))
    scene = cv2.imread(str(out / 'scene.png'))
    assert overview.shape == (scene.shape[0] + LABEL_HEIGHT, 3 * scene.shape[1], 3)
    assert f'open {out / "overview.png"}' in printed and 'scene_<action>_peaks.json' in printed


def test_demo_with_chosen_action_and_bad_action(tmp_path, capsys):
    args = ['demo', '--out', str(tmp_path), '--device', 'cpu', '--action', 'cut_with']
    assert cli.main(args) == 0
    assert list(tmp_path.glob('*_overlay.png')) == [tmp_path / 'scene_cut_with_overlay.png']
    assert cli.main(['demo', '--out', str(tmp_path), '--action', 'fly']) == 2
    assert 'valid actions' in capsys.readouterr().err


def test_demo_without_any_model_warns_loudly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(default_model, 'DEMO_MODEL', tmp_path / 'missing.safetensors')
    assert cli.main(['demo', '--out', str(tmp_path / 'out'), '--device', 'cpu']) == 0
    assert 'RANDOM WEIGHTS' in capsys.readouterr().err


def test_bundled_model_peaks_lie_on_the_parts_that_afford_them(tmp_path):
    # make demo's own scene; its part masks are read here only, never in training.
    scene = ego_scene(np.random.default_rng(0), demo.SCENE_SIZE,
                      object_by_name(demo.DEMO_OBJECT))
    assert cli.main(['demo', '--out', str(tmp_path), '--device', 'cpu']) == 0
    shown = [path.name[len('scene_'):-len('_peaks.json')]
             for path in sorted(tmp_path.glob('scene_*_peaks.json'))]
    assert sorted(shown) == sorted(scene.affordances)
    for action in shown:
        peaks = json.loads((tmp_path / f'scene_{action}_peaks.json').read_text())['peaks']
        best = max(peaks, key=lambda peak: peak['score'])
        part = scene.part_masks[action]
        assert part[round(best['v']), round(best['u'])], f'{action}: best peak {best} is off it'
        heat = np.load(tmp_path / f'scene_{action}.npy')
        assert heat[part].mean() > 3 * heat[~part].mean(), f'{action}: hot off its part'
