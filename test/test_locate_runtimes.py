"""LOCATE's files through export (ONNX, OpenVINO IR) and the OpenVINO backend.

Every map is compared with the independent LOCATE reference (`locate_reference`), not with our
torch path. Tolerances: 1e-4 relative for fp32 (the largest difference over the largest
reference magnitude); bf16 and int8 as the OpenVINO backend's own tests accept against torch.
"""
import json

import numpy as np
import pytest
import torch

import locate_reference
from locate_reference import save_locate_file, TINY
from looptrans_core import openvino_backend
from looptrans_core.cli import main
from looptrans_core.data.synth_scene import render_scene
from looptrans_core.grounder import Grounder

openvino = pytest.importorskip('openvino')
pytest.importorskip('onnxscript')
HAS_BF16 = 'BF16' in openvino_backend.cpu_capabilities()
FP32_TOLERANCE = 1e-4
BF16_HEAT_TOLERANCE = 5e-2
INT8_HEAT_TOLERANCE = 0.25
"""Largest |heat map - LOCATE's| accepted for bf16 and int8 (test_openvino_backend's bounds)."""


def max_relative(ours, reference) -> float:
    """Largest absolute difference over the largest reference magnitude."""
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


@pytest.fixture(scope='module')
def tiny_unseen(tmp_path_factory):
    """Return (LOCATE's net, its .pth): the Unseen layout on our small test backbone's sizes."""
    path = tmp_path_factory.mktemp('locate') / 'locate_unseen.pth'
    return save_locate_file(path, 25, 11, **TINY), path


@pytest.fixture(scope='module')
def inputs():
    """Return two seeded normalised inputs as numpy, (2, 3, 224, 224) float32."""
    return torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(3)).numpy()


@pytest.fixture(scope='module')
def scene_images():
    """Return two decoded RGB scenes of different sizes."""
    return [render_scene(np.random.default_rng(seed), size)[0]
            for seed, size in enumerate(((120, 160), (90, 70)))]


@pytest.mark.parametrize('export_format', ['onnx', 'openvino'])
def test_exported_files_compute_locates_maps(tiny_unseen, inputs, tmp_path, export_format,
                                             capsys):
    net, path = tiny_unseen
    out = tmp_path / export_format
    assert main(['export', '--checkpoint', str(path), '--format', export_format,
                 '--out', str(out)]) == 0
    assert f'model (locate) of 25 affordances from {path}' in capsys.readouterr().out
    description = json.loads((out / 'model.json').read_text())
    assert description['source']['method'] == 'locate'
    assert description['affordances'] == list(locate_reference.UNSEEN)
    if export_format == 'onnx':
        ort = pytest.importorskip('onnxruntime')
        session = ort.InferenceSession(str(out / 'model.onnx'),
                                       providers=['CPUExecutionProvider'])
        (maps,) = session.run(['raw_maps'], {'images': inputs})
    else:
        core = openvino.Core()
        f32 = {openvino.properties.hint.inference_precision: openvino.Type.f32}
        compiled = core.compile_model(core.read_model(out / 'model.xml'), 'CPU', f32)
        maps = compiled({'images': inputs})['raw_maps']
    reference = net.ego_pred(torch.from_numpy(inputs)).numpy()
    assert maps.shape == reference.shape == (2, 25, 14, 14)
    assert max_relative(maps, reference) < FP32_TOLERANCE


@pytest.mark.parametrize('split, seed', [('Seen', 1), ('Unseen', 2)])
def test_openvino_fp32_gives_locates_maps_on_the_full_model(tmp_path, inputs, split, seed):
    names = locate_reference.SEEN if split == 'Seen' else locate_reference.UNSEEN
    path = tmp_path / 'best.pth'
    net = save_locate_file(path, len(names), seed)
    grounder = Grounder.from_checkpoint(path, 'cpu', 'fp32', backend='openvino')
    assert grounder.method == 'locate' and grounder.affordances == names
    maps = grounder._forward(torch.from_numpy(inputs))
    assert max_relative(maps, net.ego_pred(torch.from_numpy(inputs))) < FP32_TOLERANCE


def largest_heat_difference(grounder, net, images) -> float:
    """Largest |heat map - LOCATE's map resized to the image and min-max normalised|."""
    worst = 0.0
    for image in images:
        results = grounder.ground(image)
        reference = net.ego_pred(locate_reference.published_input(image))[0].numpy()
        for index, name in enumerate(grounder.affordances):
            expected = locate_reference.normalize_map(reference[index], image.shape[1::-1])
            worst = max(worst, float(np.abs(results[name].heatmap - expected).max()))
    return worst


@pytest.mark.skipif(not HAS_BF16, reason='this CPU has no native bf16')
def test_openvino_bf16_stays_close_to_locate(tiny_unseen, scene_images):
    net, path = tiny_unseen
    grounder = Grounder.from_checkpoint(path, 'cpu', 'bf16', backend='openvino')
    assert largest_heat_difference(grounder, net, scene_images) < BF16_HEAT_TOLERANCE


def test_openvino_int8_stays_close_to_locate(tiny_unseen, scene_images):
    net, path = tiny_unseen
    grounder = Grounder.from_checkpoint(path, 'cpu', 'int8', backend='openvino')
    assert grounder.method == 'locate'
    assert largest_heat_difference(grounder, net, scene_images) < INT8_HEAT_TOLERANCE
