"""The OpenVINO backend: same maps as torch, explicit precision, int8 by NNCF, a disk cache."""
import json
from pathlib import Path
import sys

import cv2
import numpy as np
import pytest
import torch

from looptrans_core import openvino_backend
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.calibration import calibration_set, synthetic_set
from looptrans_core.grounder import Grounder
from looptrans_core.network_graph import MissingPackageError
from model_factory import make_tiny_model

openvino = pytest.importorskip('openvino')
pytest.importorskip('onnxscript')
HAS_BF16 = 'BF16' in openvino_backend.cpu_capabilities()


@pytest.fixture(scope='module')
def images():
    """Return two test images of different sizes."""
    rng = np.random.default_rng(5)
    return [rng.integers(0, 256, size, dtype=np.uint8) for size in ((120, 160, 3), (77, 51, 3))]


@pytest.fixture(scope='module')
def calibration_folder(tmp_path_factory) -> Path:
    """Return a folder of six synthetic scenes as PNGs (quicker than the default 64 scenes)."""
    folder = tmp_path_factory.mktemp('calibration')
    for index, image in enumerate(synthetic_set(6).load()):
        cv2.imwrite(str(folder / f'{index}.png'), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


def grounders(precision: str, **options):
    """Return the torch fp32 reference and an OpenVINO Grounder of the same seeded weights."""
    return (Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu'),
            Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', precision, backend='openvino',
                     **options))


def largest_difference(reference: Grounder, other: Grounder, images) -> float:
    """Largest absolute difference of every action's heat map over a batch of `images`."""
    ours, theirs = reference.ground_batch(images), other.ground_batch(images)
    return max(float(np.abs(a[name].heatmap - b[name].heatmap).max())
               for a, b in zip(ours, theirs) for name in a)


def test_fp32_maps_and_peaks_equal_torch_within_1e_4(images):
    torch_fp32, openvino_fp32 = grounders('fp32')
    assert openvino_fp32.device == torch.device('cpu')
    hint = openvino_fp32._forward.compiled.get_property('INFERENCE_PRECISION_HINT')
    assert hint == openvino.Type.f32
    assert largest_difference(torch_fp32, openvino_fp32, images) < 1e-4
    peaks = [torch_fp32.ground(images[0])['hold'].peaks,
             openvino_fp32.ground(images[0])['hold'].peaks]
    assert [(p.u, p.v) for p in peaks[0]] == [(p.u, p.v) for p in peaks[1]]


@pytest.mark.skipif(not HAS_BF16, reason='this CPU has no native bf16')
def test_bf16_sets_its_hint_and_stays_close(images):
    torch_fp32, openvino_bf16 = grounders('bf16')
    hint = openvino_bf16._forward.compiled.get_property('INFERENCE_PRECISION_HINT')
    assert hint == openvino.Type.bf16
    assert largest_difference(torch_fp32, openvino_bf16, images) < 5e-2


def test_bf16_is_refused_on_a_cpu_without_native_bf16(monkeypatch):
    monkeypatch.setattr(openvino_backend, 'cpu_capabilities', lambda: ['FP32', 'INT8'])
    with pytest.raises(openvino_backend.BackendUnavailableError, match='native bf16'):
        grounders('bf16')


def test_int8_quantises_the_network_on_a_calibration_folder(images, calibration_folder):
    torch_fp32, openvino_int8 = grounders('int8', calibration=calibration_folder)
    xml = openvino_int8._forward.path.read_text()
    assert xml.count('type="FakeQuantize"') >= 10, 'NNCF inserts quantisers on the layers'
    hint = openvino_int8._forward.compiled.get_property('INFERENCE_PRECISION_HINT')
    assert hint == openvino.Type.f32
    key = json.loads((openvino_int8._forward.path.parent / 'key.json').read_text())
    assert key['calibration'] == calibration_set(calibration_folder).identity
    assert largest_difference(torch_fp32, openvino_int8, images) < 0.25


def test_int8_calibrates_on_synthetic_scenes_by_default(images):
    _, openvino_int8 = grounders('int8')
    key = json.loads((openvino_int8._forward.path.parent / 'key.json').read_text())
    assert key['calibration'].startswith('synthetic-64-seed0-')


def test_the_second_start_reads_the_cache_and_any_change_converts_anew(monkeypatch, tmp_path):
    first = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                     cache_dir=tmp_path)
    key = json.loads((first._forward.path.parent / 'key.json').read_text())
    assert key['precision'] == 'fp32' and key['openvino']
    assert torch.__version__.startswith(key['torch'])

    def no_conversion(*args):
        raise AssertionError('converted again although the cache holds this model')

    monkeypatch.setattr(openvino_backend, 'build_network', no_conversion)
    second = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                      cache_dir=tmp_path)
    assert second._forward.path == first._forward.path
    with pytest.raises(AssertionError, match='converted again'):
        Grounder(make_tiny_model(seed=1), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                 cache_dir=tmp_path)
    assert not list(tmp_path.glob('.building-*')), 'a failed conversion leaves nothing behind'


def test_the_cache_key_follows_weights_precision_and_calibration(calibration_folder, tmp_path):
    model = make_tiny_model()
    fp32 = openvino_backend.cache_key(model, 'fp32', None)
    assert fp32 == openvino_backend.cache_key(make_tiny_model(), 'fp32', None)
    assert fp32['weights_sha256'] != openvino_backend.cache_key(
        make_tiny_model(seed=1), 'fp32', None)['weights_sha256']
    folder = calibration_set(calibration_folder)
    int8 = openvino_backend.cache_key(model, 'int8', folder)
    assert int8['calibration'] == folder.identity and fp32['calibration'] is None
    for changed in ({'calibration': 'synthetic-64-seed0-x'}, {'openvino': '2099.1'},
                    {'nncf': '9.9'}, {'code_sha256': '0' * 64}):
        assert openvino_backend.key_folder({**int8, **changed}) != openvino_backend.key_folder(
            int8), changed
    changed = tmp_path / 'calibration'
    changed.mkdir()
    for path in calibration_folder.iterdir():
        (changed / path.name).write_bytes(path.read_bytes())
    assert calibration_set(changed).identity == folder.identity
    image = cv2.imread(str(changed / '0.png'))
    cv2.imwrite(str(changed / '0.png'), 255 - image)
    assert calibration_set(changed).identity != folder.identity


def test_the_cache_lives_under_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv('LOOPTRANS_CACHE_DIR', str(tmp_path))
    assert openvino_backend.cache_root() == tmp_path / 'openvino'
    monkeypatch.delenv('LOOPTRANS_CACHE_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert openvino_backend.cache_root() == tmp_path / 'xdg' / 'looptrans' / 'openvino'


def test_a_damaged_cached_model_says_which_folder_to_delete(tmp_path):
    first = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                     cache_dir=tmp_path)
    first._forward.path.write_text('<not a model')
    with pytest.raises(openvino_backend.BackendUnavailableError, match='delete the folder'):
        Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                 cache_dir=tmp_path)


@pytest.mark.parametrize('options, fragment', [
    ({'device': 'cuda'}, "runs on the CPU; got device 'cuda'"),
    ({'precision': 'fp16'}, "backend 'openvino' does not run precision 'fp16'"),
    ({'compile_mode': 'default'}, "compile_mode='default' is an option of backend 'torch'"),
    ({'calibration': 'frames'}, "calibration is used only by backend 'openvino' with "
                                "precision 'int8'"),
    ({'backend': 'tensorrt'}, "unknown backend 'tensorrt'"),
])
def test_what_openvino_does_not_take_is_refused_with_a_reason(options, fragment):
    arguments = {'device': 'cpu', 'precision': 'fp32', 'backend': 'openvino', **options}
    with pytest.raises(ValueError, match=fragment):
        Grounder(make_tiny_model(), SEEN_AFFORDANCES, **arguments)


def test_a_calibration_that_is_not_a_folder_of_images_is_refused(tmp_path):
    with pytest.raises(ValueError, match='is not a folder'):
        calibration_set(tmp_path / 'missing')
    with pytest.raises(ValueError, match='no images'):
        calibration_set(tmp_path)


def test_a_missing_package_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'nncf', None)  # makes `import nncf` fail
    with pytest.raises(MissingPackageError, match="'int8' .*pip install nncf"):
        grounders('int8')
    monkeypatch.setitem(sys.modules, 'openvino', None)
    with pytest.raises(MissingPackageError, match='pip install openvino'):
        grounders('fp32')


def test_an_unwritable_cache_says_what_to_do(tmp_path):
    blocked = tmp_path / 'blocked'
    blocked.write_text('a file where the cache folder should be')
    with pytest.raises(openvino_backend.BackendUnavailableError,
                       match='make the folder writable.*LOOPTRANS_CACHE_DIR'):
        Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                 cache_dir=blocked)


def test_a_folder_left_without_its_model_is_replaced(tmp_path):
    first = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                     cache_dir=tmp_path)
    first._forward.path.unlink()
    second = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', backend='openvino',
                      cache_dir=tmp_path)
    assert second._forward.path == first._forward.path and second._forward.path.is_file()
