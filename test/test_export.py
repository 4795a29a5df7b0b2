"""`python -m looptrans_core export`: ONNX and OpenVINO files that compute what torch does."""
import hashlib
import json
import sys

import numpy as np
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, save_checkpoint
from looptrans_core.cli import main
from looptrans_core.default_model import DEMO_MODEL
from looptrans_core.export import PACKAGES
from model_factory import make_tiny_model

TOLERANCE = 1e-4
"""Largest accepted |exported - torch| on the raw maps (fp32 against fp32)."""
BATCHES = (1, 3)


@pytest.fixture(scope='module')
def model():
    return make_tiny_model()


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, model):
    metadata = CheckpointMetadata(backbone='vit_tiny_test', affordances=SEEN_AFFORDANCES,
                                  divide='Seen', description='random test weights')
    return save_checkpoint(model, tmp_path_factory.mktemp('ckpt') / 'm.safetensors', metadata)


def export(export_format, checkpoint, out):
    """Run the CLI, check it succeeded and return the parsed model.json."""
    assert main(['export', '--checkpoint', str(checkpoint), '--format', export_format,
                 '--out', str(out)]) == 0
    return json.loads((out / 'model.json').read_text())


def exported(export_format, tmp_path_factory, checkpoint):
    """Export `checkpoint` as `export_format` (skipped without its packages); (out, model.json)."""
    for package in PACKAGES[export_format]:
        pytest.importorskip(package)
    out = tmp_path_factory.mktemp(export_format)
    return out, export(export_format, checkpoint, out)


@pytest.fixture(scope='module')
def onnx_export(tmp_path_factory, checkpoint):
    return exported('onnx', tmp_path_factory, checkpoint)


@pytest.fixture(scope='module')
def openvino_export(tmp_path_factory, checkpoint):
    return exported('openvino', tmp_path_factory, checkpoint)


def normalised_images(batch, description):
    """Random RGB images at the input size, normalised as model.json says, (B, 3, S, S)."""
    preprocessing = description['preprocessing']
    size = preprocessing['input_size']
    rng = np.random.default_rng(batch)
    images = rng.integers(0, 256, (batch, 3, size, size)).astype(np.float32) / 255.0
    mean = np.array(preprocessing['mean'], np.float32).reshape(1, 3, 1, 1)
    std = np.array(preprocessing['std'], np.float32).reshape(1, 3, 1, 1)
    return (images - mean) / std


def max_difference(model, images, exported):
    """Largest |exported - model(images)| over the batch."""
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    assert exported.shape == expected.shape and exported.dtype == np.float32
    return float(np.abs(exported - expected).max())


@pytest.mark.parametrize('batch', BATCHES)
def test_onnx_runtime_matches_torch(onnx_export, model, batch):
    ort = pytest.importorskip('onnxruntime')
    out, description = onnx_export
    session = ort.InferenceSession(str(out / 'model.onnx'), providers=['CPUExecutionProvider'])
    images = normalised_images(batch, description)
    (maps,) = session.run(['raw_maps'], {'images': images})
    assert max_difference(model, images, maps) < TOLERANCE


@pytest.mark.parametrize('batch', BATCHES)
def test_openvino_matches_torch(openvino_export, model, batch):
    openvino = pytest.importorskip('openvino')
    out, description = openvino_export
    core = openvino.Core()
    # The CPU plugin computes in bf16 where the CPU has it, unless told f32.
    f32 = {openvino.properties.hint.inference_precision: openvino.Type.f32}
    compiled = core.compile_model(core.read_model(out / 'model.xml'), 'CPU', f32)
    images = normalised_images(batch, description)
    maps = compiled({'images': images})['raw_maps']
    assert max_difference(model, images, maps) < TOLERANCE


def test_onnx_file_has_the_names_shapes_and_opset_model_json_gives(onnx_export):
    onnx = pytest.importorskip('onnx')
    out, description = onnx_export
    graph = onnx.load(str(out / 'model.onnx')).graph
    dims = [[d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
            for value in (graph.input[0], graph.output[0])]
    assert [graph.input[0].name, graph.output[0].name] == ['images', 'raw_maps']
    assert dims == [description['inputs'][0]['shape'], description['outputs'][0]['shape']]
    assert description['export']['onnx_opset'] == 17
    assert sorted(p.name for p in out.iterdir()) == ['model.json', 'model.onnx']


def test_openvino_ir_has_fp32_weights_and_a_dynamic_batch(openvino_export):
    openvino = pytest.importorskip('openvino')
    out, description = openvino_export
    model = openvino.Core().read_model(out / 'model.xml')
    constants = [op for op in model.get_ops() if op.get_type_name() == 'Constant']
    assert {c.get_element_type() for c in constants if c.get_element_type().is_real()} == {
        openvino.Type.f32}
    assert model.input(0).get_names() == {'images'} and 'raw_maps' in model.output(0).get_names()
    assert model.input(0).get_partial_shape().to_string() == '[?,3,224,224]'
    assert description['files'] == ['model.xml', 'model.bin']
    assert description['export']['openvino'] == openvino.get_version()


def test_model_json_describes_inputs_outputs_and_source(onnx_export, checkpoint):
    _, description = onnx_export
    assert description['inputs'] == [{'name': 'images', 'shape': ['batch', 3, 224, 224],
                                      'dtype': 'float32', 'layout': 'NCHW',
                                      'channel_order': 'RGB'}]
    output = description['outputs'][0]
    assert (output['name'], output['shape'], output['dtype']) == (
        'raw_maps', ['batch', len(SEEN_AFFORDANCES), 14, 14], 'float32')
    assert description['affordances'] == list(SEEN_AFFORDANCES)
    assert description['preprocessing']['mean'] == [0.485, 0.456, 0.406]
    assert description['preprocessing']['std'] == [0.229, 0.224, 0.225]
    source = description['source']
    assert source['sha256'] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert (source['backbone'], source['description']) == ('vit_tiny_test', 'random test weights')
    assert source['method'] == 'looptrans'


@pytest.mark.skipif(not DEMO_MODEL.is_file(), reason='the bundled demo model is missing')
def test_empty_checkpoint_exports_the_bundled_demo_model(tmp_path, capsys):
    pytest.importorskip('onnxscript')
    source = export('onnx', '', tmp_path)['source']
    assert source['sha256'] == hashlib.sha256(DEMO_MODEL.read_bytes()).hexdigest()
    assert str(tmp_path / 'model.onnx') in capsys.readouterr().out


@pytest.mark.parametrize('arguments, message', [
    (['--format', 'tflite'], "unknown export format 'tflite'; expected one of onnx, openvino"),
    (['--format', 'onnx', '--opset', '16'], 'ONNX opset 16 is too old'),
    (['--format', 'onnx', '--checkpoint', 'missing.pth'], 'checkpoint not found: missing.pth'),
])
def test_bad_arguments_give_one_error_line_and_exit_2(tmp_path, capsys, arguments, message):
    assert main(['export', '--out', str(tmp_path / 'out'), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f'error: {message}') and error.count('\n') == 1
    assert not (tmp_path / 'out').exists()


def test_missing_optional_packages_are_named(tmp_path, capsys, monkeypatch):
    for name in ('onnx', 'onnxscript', 'openvino'):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` fail
    assert main(['export', '--format', 'openvino', '--out', str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        'error: --format openvino needs the Python package(s) onnx, onnxscript, openvino: '
        'pip install onnx onnxscript openvino\n')
