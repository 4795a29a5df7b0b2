"""Property-based: any mutation of a valid checkpoint loads as a model or is a CheckpointError.

Starting from a valid `.safetensors` of the tiny model (written by `save_checkpoint`) and a
published-layout `.pth` (`torch.save(state_dict)`), the tests change bytes, truncate, rewrite
the safetensors header and the LoopTrans metadata, rewrite the pickle inside the zip with
valid CRCs (a hostile author), and replace tensors. Nothing but CheckpointError may escape,
and a model that loads has finite weights.
"""
from dataclasses import asdict
import io
import json
import struct
import zipfile

from hypothesis import event, given, HealthCheck, settings, strategies as st
import numpy as np
import pytest
import safetensors.torch
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import (CheckpointError, CheckpointMetadata, load_checkpoint,
                                        METADATA_KEY, save_checkpoint)
from looptrans_core.model.cluster import PartCluster
from looptrans_core.model.looptrans import LoopTrans
from model_factory import make_tiny_model

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')  # torch on odd pickles
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODEL = make_tiny_model()
STATE = {key: value.contiguous() for key, value in MODEL.state_dict().items()}
KEYS = sorted(STATE)
MODEL.cluster = PartCluster(64, num_layers=1)
STATE_WITH_CLUSTER = {key: value.contiguous() for key, value in MODEL.state_dict().items()}
MODEL.cluster = None
METADATA = CheckpointMetadata('vit_tiny_test', SEEN_AFFORDANCES, 'Seen')
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=6)
DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32,
          torch.uint8, torch.bool, torch.complex64]


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """Return a folder for the files each example writes (and overwrites)."""
    return tmp_path_factory.mktemp('fuzz')


@pytest.fixture(scope='module')
def good_safetensors(folder):
    """Return the bytes of a valid .safetensors checkpoint of the tiny model."""
    return save_checkpoint(MODEL, folder / 'good.safetensors', METADATA).read_bytes()


@pytest.fixture(scope='module')
def good_pth():
    """Return the bytes of a valid published-layout .pth (a zip) of the tiny model."""
    buffer = io.BytesIO()
    torch.save(STATE, buffer)
    return buffer.getvalue()


def loaded_or_refused(path):
    """Load `path`; a refusal must name the file on one line, a model must be finite."""
    try:
        model, metadata = load_checkpoint(path)
    except CheckpointError as error:
        message = str(error)
        assert str(path) in message and '\n' not in message, message
        event(f'refused: {message[len(str(path)):][:28]}')
        return None
    event('loaded')
    assert isinstance(model, LoopTrans) and model.num_affordances == len(metadata.affordances)
    assert all(value.isfinite().all() for value in model.state_dict().values()
               if value.is_floating_point())
    return model


def _write(folder, name, data):
    path = folder / name
    path.write_bytes(bytes(data))
    return path


BYTE_EDITS = st.lists(st.one_of(
    st.tuples(st.just('set'), st.integers(0, 2 ** 24), st.integers(0, 255)),
    st.tuples(st.just('set-early'), st.integers(0, 600), st.integers(0, 255)),
    st.tuples(st.just('insert'), st.integers(0, 2 ** 24), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just('delete'), st.integers(0, 2 ** 24), st.integers(1, 64)),
    st.tuples(st.just('truncate'), st.integers(0, 2 ** 24), st.just(None))), min_size=1,
    max_size=4)


def _edit_bytes(data, edits):
    data = bytearray(data)
    for kind, position, value in edits:
        position %= max(len(data), 1)
        if kind in ('set', 'set-early') and data:
            data[position] = value
        elif kind == 'insert':
            data[position:position] = value
        elif kind == 'delete':
            del data[position:position + value]
        elif kind == 'truncate':
            del data[position:]
    return data


@SETTINGS
@given(edits=BYTE_EDITS)
def test_safetensors_with_changed_bytes(folder, good_safetensors, edits):
    loaded_or_refused(_write(folder, 'bytes.safetensors', _edit_bytes(good_safetensors, edits)))


@SETTINGS
@given(edits=BYTE_EDITS)
def test_torch_files_with_changed_bytes(folder, good_pth, edits):
    loaded_or_refused(_write(folder, 'bytes.pth', _edit_bytes(good_pth, edits)))


def _split_safetensors(data):
    length = struct.unpack('<Q', data[:8])[0]
    return json.loads(data[8:8 + length]), data[8 + length:]


def _join_safetensors(header, body, length=None):
    text = json.dumps(header).encode()
    return struct.pack('<Q', len(text) if length is None else length) + text + body


HEADER_EDITS = st.one_of(
    st.tuples(st.just('dtype'), st.sampled_from(KEYS),
              st.sampled_from(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8',
                               'BOOL', 'F8_E4M3', 'F8_E5M2', 'C64', 'U16', 'U64', 'XX'])),
    st.tuples(st.just('shape'), st.sampled_from(KEYS), st.lists(st.integers(0, 70), max_size=4)),
    st.tuples(st.just('offsets'), st.sampled_from(KEYS),
              st.lists(st.integers(-1, 2 ** 22), min_size=0, max_size=3)),
    st.tuples(st.just('drop'), st.sampled_from(KEYS), st.none()),
    st.tuples(st.just('entry'), st.sampled_from(KEYS), JSON),
    st.tuples(st.just('metadata'), st.none(), st.one_of(JSON, st.text(max_size=30))),
    st.tuples(st.just('field'), st.sampled_from(
        ['backbone', 'affordances', 'divide', 'input_size', 'format_version', 'description',
         'cluster_forward', 'training_config', 'extra']), st.one_of(JSON, st.just('<drop>'))),
    st.tuples(st.just('length'), st.none(), st.sampled_from([0, 1, 7, 2 ** 60, 2 ** 64 - 1])))


def _edit_header(header, edit):
    kind, key, value = edit
    if kind in ('dtype', 'shape', 'offsets') and isinstance(header.get(key), dict):
        header[key][{'offsets': 'data_offsets'}.get(kind, kind)] = value
    elif kind == 'drop':
        header.pop(key, None)
    elif kind == 'entry':
        header[key] = value
    elif kind == 'metadata':
        header['__metadata__'][METADATA_KEY] = value if isinstance(value, str) else json.dumps(
            value)
    elif kind == 'field':
        fields = _current_fields(header)
        fields.pop(key, None) if value == '<drop>' else fields.update({key: value})
        header['__metadata__'][METADATA_KEY] = json.dumps(fields)


def _current_fields(header):
    try:
        fields = json.loads(header['__metadata__'][METADATA_KEY])
    except ValueError:
        fields = None
    return fields if isinstance(fields, dict) else asdict(METADATA)


@SETTINGS
@given(edits=st.lists(HEADER_EDITS, min_size=1, max_size=3))
def test_safetensors_with_rewritten_headers(folder, good_safetensors, edits):
    header, body = _split_safetensors(good_safetensors)
    length = None
    for edit in edits:
        if edit[0] == 'length':
            length = edit[2]
        else:
            _edit_header(header, edit)
    loaded_or_refused(_write(folder, 'header.safetensors', _join_safetensors(header, body,
                                                                             length)))


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, 2 ** 16), st.integers(0, 255)), min_size=1,
                      max_size=4), cut=st.one_of(st.none(), st.integers(0, 2 ** 16)))
def test_torch_files_with_a_rewritten_pickle(folder, good_pth, edits, cut):
    source = zipfile.ZipFile(io.BytesIO(good_pth))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_STORED) as archive:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith('/data.pkl'):
                data = _edit_bytes(data, [('set', p, v) for p, v in edits])[:cut]
            archive.writestr(name, bytes(data))
    loaded_or_refused(_write(folder, 'pickle.pth', buffer.getvalue()))


@st.composite
def tensor_changes(draw):
    """Draw (with cluster, key, change, argument): one tensor replaced, removed or added."""
    with_cluster = draw(st.booleans())
    key = draw(st.sampled_from(sorted(STATE_WITH_CLUSTER if with_cluster else STATE)))
    change = draw(st.sampled_from(['dtype', 'shape', 'special', 'remove', 'add']))
    argument = {'dtype': st.sampled_from(DTYPES),
                'shape': st.lists(st.integers(0, 70), max_size=4).map(tuple),
                'special': st.tuples(st.integers(0, 2 ** 16), st.sampled_from(
                    [float('nan'), float('inf'), -float('inf'), 1e30])),
                'remove': st.none(),
                'add': st.tuples(st.sampled_from(['extra.w', 'cluster.w', 'vit_model.blocks.9.w']),
                                 st.lists(st.integers(0, 4), max_size=3))}[change]
    return with_cluster, key, change, draw(argument)


def _changed_state(with_cluster, key, change, argument):
    """Return the state dict with the change applied, and whether it still fits the model."""
    state = dict(STATE_WITH_CLUSTER if with_cluster else STATE)
    original = state[key]
    if change in ('remove', 'add'):
        if change == 'remove':
            del state[key]
        else:
            state[argument[0]] = torch.zeros(argument[1])
        return state, False
    shape = argument if change == 'shape' else tuple(original.shape)
    dtype = argument if change == 'dtype' else original.dtype
    tensor = torch.from_numpy(np.random.default_rng(0).normal(size=shape)).to(dtype)
    if change == 'special' and tensor.is_floating_point() and tensor.numel():
        tensor.view(-1)[argument[0] % tensor.numel()] = argument[1]
    state[key] = tensor
    if not original.is_floating_point():
        return state, dtype == original.dtype and shape == tuple(original.shape)
    return state, (tensor.is_floating_point() and shape == tuple(original.shape)
                   and bool(tensor.isfinite().all()))


@SETTINGS
@given(change=tensor_changes(), published=st.booleans())
def test_replaced_tensors_load_exactly_when_they_fit(folder, change, published):
    state, fits = _changed_state(*change)
    if published:
        path = folder / 'replaced.pth'
        torch.save(state, path)
    else:
        path = folder / 'replaced.safetensors'
        safetensors.torch.save_file(state, str(path), metadata={
            METADATA_KEY: json.dumps({'backbone': 'vit_tiny_test', 'divide': 'Seen',
                                      'affordances': list(SEEN_AFFORDANCES)})})
    model = loaded_or_refused(path)
    assert (model is not None) == fits
