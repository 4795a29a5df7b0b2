"""`python -m looptrans_core ground` end to end on generated images, folders and videos."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import safetensors.torch
import torch

from encoded_images import png_declaring
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, METADATA_KEY, save_checkpoint
from looptrans_core.cli import main
from looptrans_core.commands.ground import write_image
from model_factory import make_tiny_model
from synth_fixtures import synth_root  # noqa: F401


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    metadata = CheckpointMetadata(backbone='vit_tiny_test', affordances=SEEN_AFFORDANCES,
                                  divide='Seen', description='random test weights')
    return save_checkpoint(make_tiny_model(), tmp_path_factory.mktemp('ckpt') / 'm.safetensors',
                           metadata)


def _write_image(path, rng, size=(48, 64)):
    cv2.imwrite(str(path), rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    return path


def test_ground_writes_overlays_maps_peaks_and_raw(tmp_path, checkpoint, rng):
    image = _write_image(tmp_path / 'scene.png', rng)
    out = tmp_path / 'out'
    code = main(['ground', '--checkpoint', str(checkpoint), '--image', str(image),
                 '--action', 'cut', '--action', 'hold', '--out', str(out), '--device', 'cpu',
                 '--raw'])
    assert code == 0
    for action in ('cut', 'hold'):
        overlay = cv2.imread(str(out / f'scene_{action}_overlay.png'))
        assert overlay.shape == (48, 64, 3)
        heat = np.load(out / f'scene_{action}.npy')
        assert heat.shape == (48, 64) and 0 <= heat.min() and heat.max() <= 1
        peaks = json.loads((out / f'scene_{action}_peaks.json').read_text())
        assert peaks['action'] == action
        assert all({'u', 'v', 'score'} == set(p) for p in peaks['peaks'])
    raw = np.load(out / 'scene_raw.npy')
    assert raw.shape == (2, 14, 14)


def test_ground_without_action_covers_every_affordance(tmp_path, checkpoint, rng):
    folder = tmp_path / 'images'
    folder.mkdir()
    for name in ('a.png', 'b.jpg'):
        _write_image(folder / name, rng)
    out = tmp_path / 'out'
    assert main(['ground', '--checkpoint', str(checkpoint), '--image', str(folder),
                 '--out', str(out), '--raw']) == 0
    assert np.load(out / 'b_raw.npy').shape == (len(SEEN_AFFORDANCES), 14, 14)
    assert len(list(out.glob('a_*_overlay.png'))) == len(SEEN_AFFORDANCES)


def test_ground_reads_video_frames(tmp_path, checkpoint, rng):
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 5.0, (64, 48))
    for _ in range(3):
        writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    writer.release()
    out = tmp_path / 'out'
    assert main(['ground', '--checkpoint', str(checkpoint), '--image', str(video),
                 '--action', 'eat', '--out', str(out)]) == 0
    assert sorted(p.name for p in out.glob('*_overlay.png')) == [
        f'clip_{i:06d}_eat_overlay.png' for i in range(3)]


def test_unknown_action_is_a_clear_cli_error(tmp_path, checkpoint, rng, capsys):
    image = _write_image(tmp_path / 'x.png', rng)
    code = main(['ground', '--checkpoint', str(checkpoint), '--image', str(image),
                 '--action', 'fly', '--out', str(tmp_path / 'o')])
    assert code == 2
    assert 'unknown action' in capsys.readouterr().err


def test_missing_input_is_a_clear_cli_error(tmp_path, checkpoint, capsys):
    code = main(['ground', '--checkpoint', str(checkpoint), '--image',
                 str(tmp_path / 'missing.png')])
    assert code == 2
    assert 'input not found' in capsys.readouterr().err


def test_bomb_and_oversized_images_are_one_cli_error(tmp_path, checkpoint, rng, capsys):
    (tmp_path / 'bomb.png').write_bytes(png_declaring(30_000, 30_000))
    code = main(['ground', '--checkpoint', str(checkpoint), '--image', str(tmp_path / 'bomb.png'),
                 '--out', str(tmp_path / 'o')])
    assert code == 2 and 'over the limit of 50000000' in capsys.readouterr().err
    image = _write_image(tmp_path / 'x.png', rng)
    code = main(['ground', '--checkpoint', str(checkpoint), '--image', str(image),
                 '--max-image-pixels', '1000', '--out', str(tmp_path / 'o')])
    err = capsys.readouterr().err
    assert code == 2 and '64 x 48 = 3072 pixels, over the limit of 1000' in err


def test_module_help_lists_ground():
    result = subprocess.run([sys.executable, '-m', 'looptrans_core', '--help'],
                            capture_output=True, text=True, check=True)
    assert 'ground' in result.stdout


class _Exploit:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (subprocess.call, (['true'],))


def _empty(path):
    path.write_bytes(b'')


def _metadata_not_json(path):
    safetensors.torch.save_file({'x': torch.zeros(1)}, str(path), metadata={METADATA_KEY: '{'})


def _nan_weights(path):
    model = make_tiny_model()
    model.aff_fc.bias.data[3] = float('nan')
    save_checkpoint(model, path, CheckpointMetadata('vit_tiny_test', SEEN_AFFORDANCES, 'Seen'))


def _code_running_pickle(path):
    torch.save({'aff_fc.weight': _Exploit()}, path)


BAD_CHECKPOINTS = {'empty.safetensors': _empty, 'json.safetensors': _metadata_not_json,
                   'nan.safetensors': _nan_weights, 'evil.pth': _code_running_pickle}


@pytest.fixture(params=sorted(BAD_CHECKPOINTS))
def bad_checkpoint(request, tmp_path):
    """Write one unfit checkpoint and return its path."""
    path = tmp_path / request.param
    BAD_CHECKPOINTS[request.param](path)
    return path


def _one_error_line(capsys, *expected):
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.count('\n') == 1, err
    assert all(text in err for text in expected), err


def test_unfit_checkpoint_is_one_error_line_from_every_command(tmp_path, bad_checkpoint, rng,
                                                               synth_root, capsys):  # noqa: F811
    image = _write_image(tmp_path / 'x.png', rng)
    for argv in (['ground', '--image', str(image), '--out', str(tmp_path / 'o')],
                 ['demo', '--out', str(tmp_path / 'd')],
                 ['evaluate', '--data-root', str(synth_root), '--divide', 'Seen']):
        assert main([*argv, '--checkpoint', str(bad_checkpoint), '--device', 'cpu']) == 2
        _one_error_line(capsys, str(bad_checkpoint))


def test_module_prints_no_traceback_for_a_damaged_checkpoint(tmp_path, rng):
    image = _write_image(tmp_path / 'x.png', rng)
    checkpoint = tmp_path / 'cut.safetensors'
    checkpoint.write_bytes(b'\x08' + bytes(20))
    result = subprocess.run([sys.executable, '-m', 'looptrans_core', 'ground', '--checkpoint',
                             str(checkpoint), '--image', str(image), '--out', str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and result.stderr.count('\n') == 1
    assert str(checkpoint) in result.stderr and 'Traceback' not in result.stderr


def test_repeated_action_and_blocked_output_are_clear_cli_errors(tmp_path, checkpoint, rng,
                                                                 capsys):
    image = _write_image(tmp_path / 'x.png', rng)
    args = ['ground', '--checkpoint', str(checkpoint), '--image', str(image)]
    assert main([*args, '--action', 'cut', '--action', 'cut', '--out', str(tmp_path)]) == 2
    _one_error_line(capsys, "actions name ['cut'] more than once")
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    assert main([*args, '--out', str(blocker)]) == 2
    _one_error_line(capsys, str(blocker))


def test_an_image_opencv_cannot_write_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match='could not write'):
        write_image(tmp_path / 'missing' / 'x.png', np.zeros((4, 4, 3), np.uint8))


def test_ground_on_openvino_writes_the_maps_torch_writes(tmp_path, checkpoint, rng):
    pytest.importorskip('openvino')
    image = _write_image(tmp_path / 'scene.png', rng)
    for backend in ('torch', 'openvino'):
        assert main(['ground', '--checkpoint', str(checkpoint), '--image', str(image),
                     '--action', 'cut', '--out', str(tmp_path / backend), '--device', 'cpu',
                     '--backend', backend]) == 0
    maps = [np.load(tmp_path / backend / 'scene_cut.npy') for backend in ('torch', 'openvino')]
    assert np.abs(maps[0] - maps[1]).max() < 1e-4
