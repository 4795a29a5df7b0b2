"""Load and save weights safely: the published state dicts and our safetensors format.

Published files are what `torch.save(model.state_dict())` writes. LoopTrans's have keys
`vit_model.*`, `aff_proj.*`, `pixel_dec.*`, `scam.*`, `aff_fc.*` and optionally `cluster.*`;
LOCATE's (`locate_layout`) have `aff_ego_proj.*` where LoopTrans has `pixel_dec.*`. Ours is one
`.safetensors` file whose header metadata holds a JSON document under the key `looptrans`, with
the method ('looptrans' or 'locate') whose network the weights are for.
Nothing is ever unpickled beyond tensors: `torch.load(..., weights_only=True)` or safetensors.
Every way a file can be unfit (unreadable, damaged, unsafe, wrong metadata, wrong tensors)
raises CheckpointError, naming the file and the reason.
"""
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, MISSING, replace
import json
from pathlib import Path
import pickle
import reprlib
import struct
import typing
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union
import zipfile
import zlib

import safetensors
import safetensors.torch
import torch

from looptrans_core import locate_layout
from looptrans_core.affordances import (affordances_for_divide, divide_for_num_classes,
                                        NUM_NOISE_CLASSES)
from looptrans_core.model.backbone_registry import get_backbone_config, list_backbones
from looptrans_core.model.cluster import CLUSTER_FORWARDS, cluster_from_state
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.model.locate import Locate
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.model.methods import build_network, METHODS

FORMAT_VERSION = 1
METADATA_KEY = 'looptrans'
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
"""Dtypes a file may hold for the model's floating-point tensors (loading casts them)."""
LEGACY_TORCH_HEADER = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)
"""How a file in torch.save's legacy (pre-zip) format begins."""
ZIP_HEADER = b'PK\x03\x04'
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
              OSError, ValueError, struct.error)
"""What Python's zipfile raises on a damaged archive (RuntimeError: 'encrypted')."""
TORCH_LOAD_ERRORS = (RuntimeError, EOFError, OSError, ValueError, TypeError, KeyError,
                     IndexError, AttributeError, AssertionError, struct.error)
"""What torch.load raises, besides UnpicklingError, on a malformed pickle of allowed types
(found by fuzzing torch 2.x: its weights-only unpickler and tensor rebuilders check little)."""
LISTED = 8
"""At most this many keys or fields are named per kind of problem."""
METHOD_TITLES = {LoopTrans.method: 'LoopTrans', Locate.method: 'LOCATE'}
NOISE_CLASSES = {LoopTrans.method: NUM_NOISE_CLASSES,
                 Locate.method: locate_layout.NUM_NOISE_CLASSES}
"""Classifier rows after the affordances, per method."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not fit the model."""


@dataclass
class CheckpointMetadata:
    """What our format records beside the weights.

    Attributes:
        backbone: registry name of the backbone.
        affordances: affordance names in classifier order.
        divide: AGD20K split the model was trained for ('Seen', 'Unseen') or a free label.
        input_size: square backbone input side.
        format_version: version of this metadata layout.
        description: free text, e.g. that the weights come from synthetic data.
        cluster_forward: 'published' or 'corrected' when a cluster module is stored.
        training_config: the resolved training configuration, when written by training.
        method: whose test-time network the weights are for: 'looptrans' or 'locate'
            (files written before the field existed are LoopTrans's).
    """

    backbone: str
    affordances: Tuple[str, ...]
    divide: str
    input_size: int = 224
    format_version: int = FORMAT_VERSION
    description: str = ''
    cluster_forward: Optional[str] = None
    training_config: Dict[str, Any] = field(default_factory=dict)
    method: str = LoopTrans.method


def affordance_names_error(names: Sequence[Any]) -> Optional[str]:
    """Why `names` cannot name a model's affordance channels, or None.

    The one rule for checkpoint metadata and the Grounder: at least one name, every name a
    non-empty string, no name twice.
    """
    if not names:
        return 'no affordance names; a model grounds at least one affordance'
    odd = next((name for name in names if not isinstance(name, str) or not name), None)
    if odd is not None:
        return f'affordance names must be non-empty strings, got {reprlib.repr(odd)}'
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        return f'affordance names repeat {repeated}; every classifier channel needs its own name'
    return None


def save_checkpoint(model: GroundingNet, path: Union[str, Path],
                    metadata: CheckpointMetadata) -> Path:
    """Write `model`'s weights and `metadata` (with `model.method`) to a `.safetensors` file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = replace(metadata, method=model.method)
    cluster = getattr(model, 'cluster', None)
    if cluster is not None:
        metadata = replace(metadata, cluster_forward=cluster.forward_mode)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    header = {METADATA_KEY: json.dumps(asdict(metadata))}
    safetensors.torch.save_file(tensors, str(path), metadata=header)
    return path


def load_checkpoint(path: Union[str, Path], map_location: Union[str, torch.device] = 'cpu',
                    ) -> Tuple[GroundingNet, CheckpointMetadata]:
    """Build a model from a published `.pth` (LoopTrans or LOCATE) or our `.safetensors` file.

    The network is that of `metadata.method`: a LoopTrans or a Locate.

    Raises:
        CheckpointError: the file is missing, unreadable, damaged or truncated, refused as
            unsafe, or its metadata or tensors do not describe a model of its method.
    """
    path = Path(path)
    if not path.is_file():
        reason = 'is a folder' if path.is_dir() else 'not found'
        raise CheckpointError(f'checkpoint {reason}: {path}; pass the path of a published '
                              'LoopTrans or LOCATE .pth file or a .safetensors file written by '
                              'training or conversion')
    if path.suffix == '.safetensors':
        state, metadata = _read_safetensors(path)
    else:
        state = published_state(_read_torch_file(path), path)
        metadata = infer_published_metadata(state, path)
    model = build_network(metadata.method, len(metadata.affordances), metadata.backbone)
    if isinstance(model, LoopTrans):
        metadata = attach_stored_cluster(model, state, metadata, path)
    load_state_dict_checked(model, state, path, metadata)
    return model.to(map_location).eval(), metadata


def message_line(error: BaseException) -> str:
    """Return the message of `error` on one line (its type name when it has none)."""
    return ' '.join(str(error).split()) or type(error).__name__


def _listing(label: str, items: Sequence[str]) -> Optional[str]:
    """`label [a, b, ...]` naming at most LISTED items, or None when there are none."""
    if not items:
        return None
    more = f' and {len(items) - LISTED} more' if len(items) > LISTED else ''
    return f'{label} {list(items[:LISTED])}{more}'


def _read_safetensors(path: Path) -> Tuple[Dict[str, torch.Tensor], CheckpointMetadata]:
    try:
        with safetensors.safe_open(str(path), framework='pt') as handle:
            header = handle.metadata() or {}
            state = {key: handle.get_tensor(key) for key in handle.keys()}
    except (safetensors.SafetensorError, OSError) as error:
        raise CheckpointError(f'{path} is not a readable safetensors file (empty, truncated, '
                              f'damaged or another format): {message_line(error)}') from None
    return state, metadata_from_header(header, path)


def metadata_from_header(header: Dict[str, str], path: Path) -> CheckpointMetadata:
    """Parse and check the LoopTrans metadata of a safetensors header."""
    if METADATA_KEY not in header:
        raise CheckpointError(f'{path} has no LoopTrans metadata (header key {METADATA_KEY!r}); '
                              'it was not written by looptrans_core.save_checkpoint')
    try:
        document = json.loads(header[METADATA_KEY])
    except (ValueError, RecursionError) as error:  # JSONDecodeError, 4300+ digits, deep nesting
        raise CheckpointError(f'{path}: its LoopTrans metadata is not valid JSON '
                              f'({message_line(error)})') from None
    if type(document) is not dict:
        raise CheckpointError(f'{path}: its LoopTrans metadata is a JSON '
                              f'{_json_name(type(document))}, expected an object with the fields '
                              f'{", ".join(FIELD_TYPES)}')
    _check_fields(document, path)
    metadata = CheckpointMetadata(**{**document, 'affordances': tuple(document['affordances'])})
    _check_values(metadata, path)
    return metadata


def _json_types(hint: Any) -> Tuple[type, ...]:
    """Return the types `json.loads` gives for a metadata field annotated `hint`."""
    if typing.get_origin(hint) is Union:
        return tuple(t for arg in typing.get_args(hint) for t in _json_types(arg))
    return {tuple: (list,), dict: (dict,)}.get(typing.get_origin(hint), (hint,))


FIELD_TYPES = {name: _json_types(hint)
               for name, hint in typing.get_type_hints(CheckpointMetadata).items()}
"""Metadata field -> the exact JSON-decoded types it may hold (bool is not an integer)."""
REQUIRED_FIELDS = tuple(f.name for f in fields(CheckpointMetadata)
                        if f.default is MISSING and f.default_factory is MISSING)
JSON_NAMES = {str: 'string', int: 'integer', float: 'number', bool: 'boolean', list: 'array',
              dict: 'object', type(None): 'null'}


def _json_name(kind: type) -> str:
    return JSON_NAMES.get(kind, kind.__name__)


def _check_fields(document: Dict[str, Any], path: Path) -> None:
    """Raise unless `document` has this format version's fields, each of its JSON type."""
    version = document.get('format_version', FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:
        raise CheckpointError(f'{path} has format version {reprlib.repr(version)}; this '
                              f'looptrans_core reads version {FORMAT_VERSION}')
    mistyped = [f'{name}: {_json_name(type(value))}, expected '
                f'{" or ".join(_json_name(t) for t in FIELD_TYPES[name])}'
                for name, value in document.items()
                if name in FIELD_TYPES and type(value) not in FIELD_TYPES[name]]
    problems = [_listing('missing fields', [n for n in REQUIRED_FIELDS if n not in document]),
                _listing('unexpected fields', sorted(set(document) - set(FIELD_TYPES))),
                _listing('fields of the wrong type', mistyped)]
    problems = [problem for problem in problems if problem]
    if problems:
        raise CheckpointError(f'{path}: its LoopTrans metadata has {"; ".join(problems)}')


def _check_values(metadata: CheckpointMetadata, path: Path) -> None:
    """Raise unless the backbone is known and the other fields fit it."""
    if metadata.backbone not in list_backbones():
        raise CheckpointError(f'checkpoint {path} names backbone '
                              f'{reprlib.repr(metadata.backbone)}; known: '
                              f'{", ".join(list_backbones())}')
    reason = affordance_names_error(metadata.affordances)
    if reason:
        raise CheckpointError(f'{path}: {reason}')
    input_size = get_backbone_config(metadata.backbone).input_size
    if metadata.input_size != input_size:
        raise CheckpointError(f'{path} records input_size {metadata.input_size}, but backbone '
                              f'{metadata.backbone} takes {input_size} x {input_size} images')
    if metadata.method not in METHODS:
        raise CheckpointError(f'{path} records method {reprlib.repr(metadata.method)}; '
                              f'expected one of {METHODS}')
    if metadata.cluster_forward not in (None, *CLUSTER_FORWARDS):
        raise CheckpointError(f'{path} records cluster_forward '
                              f'{reprlib.repr(metadata.cluster_forward)}; expected one of '
                              f'{CLUSTER_FORWARDS} or null')


def _read_torch_file(path: Path) -> Dict[str, torch.Tensor]:
    _check_torch_container(path)
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f'{path} was refused: loading it could run code') from None
    except TORCH_LOAD_ERRORS as error:
        raise CheckpointError(f'{path} is damaged: torch.load failed with '
                              f'{type(error).__name__}: {message_line(error)}') from None
    _check_state_dict(state, path)
    return state


def _check_torch_container(path: Path) -> None:
    """Raise unless `path` is an intact torch.save file.

    That is the legacy format, or a zip whose members all pass their CRC check (torch.load
    itself does not check them); a TorchScript archive is refused, since it holds code.
    """
    try:
        with open(path, 'rb') as handle:
            start = handle.read(len(LEGACY_TORCH_HEADER))
    except OSError as error:
        raise CheckpointError(f'cannot read checkpoint {path}: {error.strerror or error}'
                              ) from None
    if start == LEGACY_TORCH_HEADER:
        return
    if not start.startswith(ZIP_HEADER):
        raise CheckpointError(f'{path} is not a PyTorch file: ' + (
            'it is empty' if not start else "it starts with neither torch.save's zip header "
            'nor its legacy header'))
    if any(name.split('/', 1)[-1] == 'constants.pkl' for name in _checked_zip_members(path)):
        raise CheckpointError(f'{path} was refused: loading it could run code (a TorchScript '
                              'archive)')


def _checked_zip_members(path: Path) -> List[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
            names = archive.namelist()
    except ZIP_ERRORS as error:
        raise CheckpointError(f'{path} is damaged or truncated: {message_line(error)}') from None
    if damaged is not None:
        raise CheckpointError(f'{path} is damaged: its part {damaged} fails its CRC check')
    return names


def _check_state_dict(state: Any, path: Path) -> None:
    """Raise unless `state` maps parameter names (str) to dense tensors."""
    if not isinstance(state, dict):
        raise CheckpointError(f'{path} holds a {type(state).__name__}, expected the dict that '
                              'torch.save(model.state_dict()) writes')
    odd = next(filter(None, (_entry_problem(key, value) for key, value in state.items())), None)
    if odd:
        raise CheckpointError(f'{path} holds {odd}, expected the dict that '
                              'torch.save(model.state_dict()) writes: names to dense tensors')


def _entry_problem(key: Any, value: Any) -> Optional[str]:
    if not isinstance(key, str):
        return f'the key {reprlib.repr(key)} ({type(key).__name__})'
    if not isinstance(value, torch.Tensor):
        return f'{reprlib.repr(key)}: {type(value).__name__}'
    if value.layout != torch.strided:
        return f'{reprlib.repr(key)}: a {value.layout} tensor'
    return None


def published_state(state: Dict[str, torch.Tensor], path: Path) -> Dict[str, torch.Tensor]:
    """Return a published state dict in our layout: LOCATE's without its training-only parts."""
    if not locate_layout.is_locate_state(state):
        return state
    reason = locate_layout.mixed_layout_error(state)
    if reason:
        raise CheckpointError(f'{path} {reason}')
    return locate_layout.from_locate_state(state)


def published_method(state: Dict[str, torch.Tensor]) -> str:
    """Return the method whose layout `state`'s keys are: 'locate' or 'looptrans'."""
    return Locate.method if locate_layout.is_locate_state(state) else LoopTrans.method


def infer_published_metadata(state: Dict[str, torch.Tensor], path: Path) -> CheckpointMetadata:
    """Read the method from the keys, the split from `aff_fc.weight`, the backbone from the ViT.

    LoopTrans's classifier has 15 noise rows after the affordances (51 Seen, 40 Unseen rows),
    LOCATE's none (36, 25).
    """
    method = published_method(state)
    num_classes = _published_tensor(state, 'aff_fc.weight', 4, path).shape[0]
    try:
        divide = divide_for_num_classes(num_classes, NOISE_CLASSES[method])
    except ValueError as error:
        raise CheckpointError(f'{path}: {error} (a {METHOD_TITLES[method]} classifier)'
                              ) from None
    return CheckpointMetadata(backbone=_backbone_from_state(state, path),
                              affordances=affordances_for_divide(divide), divide=divide,
                              description=f'published {METHOD_TITLES[method]} checkpoint '
                                          f'{path.name}', method=method)


def _published_tensor(state: Dict[str, torch.Tensor], key: str, ndim: int,
                      path: Path) -> torch.Tensor:
    if key not in state:
        raise CheckpointError(f'{path} has no {key}; expected a LoopTrans state dict with keys '
                              'vit_model.*, aff_proj.*, pixel_dec.*, scam.*, aff_fc.* or a '
                              'LOCATE one with vit_model.*, aff_proj.*, aff_ego_proj.*, aff_fc.*')
    if state[key].ndim != ndim:
        raise CheckpointError(f'{path}: {key} has shape {tuple(state[key].shape)}, expected '
                              f'{ndim} dimensions')
    return state[key]


def _backbone_from_state(state: Dict[str, torch.Tensor], path: Path) -> str:
    dim = _published_tensor(state, 'vit_model.cls_token', 3, path).shape[-1]
    depth = len({k.split('.')[2] for k in state if k.startswith('vit_model.blocks.')})
    for name in list_backbones():
        config = get_backbone_config(name)
        kwargs = config.timm_kwargs
        if kwargs.get('embed_dim', 384) == dim and kwargs.get('depth', 12) == depth:
            return name
    raise CheckpointError(f'{path}: no registered backbone has {dim} channels and {depth} '
                          f'blocks; registered: {list_backbones()}')


def attach_stored_cluster(model: LoopTrans, state: Dict[str, torch.Tensor],
                          metadata: CheckpointMetadata, path: Path) -> CheckpointMetadata:
    """Give `model` the part-cluster module stored under `cluster.*`, if any.

    Published files run the published forward; ours record theirs in `cluster_forward`.
    """
    cluster_state = {k[len('cluster.'):]: v for k, v in state.items() if k.startswith('cluster.')}
    if not cluster_state:
        return metadata
    _check_cluster_sizes(cluster_state, model.vit_model.embed_dim, path)
    metadata = replace(metadata, cluster_forward=metadata.cluster_forward or 'published')
    try:
        model.cluster = cluster_from_state(cluster_state, metadata.cluster_forward)
    except RuntimeError as error:  # its strict load_state_dict: missing, extra, misshapen keys
        raise CheckpointError(f'{path}: its cluster.* tensors do not fit a part-cluster '
                              f'module: {message_line(error)}') from None
    return metadata


def _check_cluster_sizes(cluster_state: Dict[str, torch.Tensor], dim: int, path: Path) -> None:
    """Raise unless the two tensors that size a part-cluster module fit `dim`-channel keys."""
    sizing = [cluster_state.get(key) for key in ('tokens.weight', 'ffn_layers.0.net.0.weight')]
    if any(tensor is None or tensor.ndim != 2 or tensor.shape[1] != dim for tensor in sizing):
        raise CheckpointError(
            f'{path}: its cluster.* tensors do not describe a part-cluster module for the '
            f"backbone's {dim}-channel keys: it needs cluster.tokens.weight (parts x {dim}) and "
            f'cluster.ffn_layers.0.net.0.weight (hidden x {dim})')
    _check_cluster_holds_its_module(cluster_state, dim, path)


def _check_cluster_holds_its_module(cluster_state: Dict[str, torch.Tensor], dim: int,
                                    path: Path) -> None:
    """Raise unless every layer the cluster tensors name stores its own attention weights.

    The module is built from the number of layers the keys name; requiring each layer's
    (3 * dim) x dim attention weights in the file refuses one that names thousands of layers
    with a few tiny tensors before the module is allocated, so memory stays bounded by the file.
    """
    named = {key.split('.')[1] for key in cluster_state if key.startswith('cross_attn_layers.')}
    layers = sorted(named, key=lambda index: (len(index), index))
    for index in layers:
        weight = cluster_state.get(f'cross_attn_layers.{index}.in_proj_weight')
        if weight is None or tuple(weight.shape) != (3 * dim, dim):
            raise CheckpointError(f'{path}: its cluster.* tensors name cross-attention layer '
                                  f'{index} without its ({3 * dim}, {dim}) in_proj_weight; the '
                                  'file is damaged or not a LoopTrans checkpoint')


def load_state_dict_checked(model: GroundingNet, state: Dict[str, torch.Tensor], path: Path,
                            metadata: CheckpointMetadata) -> None:
    """Load strictly, naming missing, unexpected, misshapen, mistyped and non-finite tensors."""
    problems = _fit_problems(state, model.state_dict())
    if problems:
        raise CheckpointError(
            f'{path} does not fit a {METHOD_TITLES[model.method]} model with backbone '
            f'{metadata.backbone} and {len(metadata.affordances)} + '
            f'{NOISE_CLASSES[model.method]} classes: {"; ".join(problems)}')
    nonfinite = [k for k, v in state.items() if v.is_floating_point() and not v.isfinite().all()]
    if nonfinite:
        raise CheckpointError(f'{path} holds NaN or infinite weights: '
                              f'{_listing("in", sorted(nonfinite))}')
    model.load_state_dict(state)


def _fit_problems(state: Dict[str, torch.Tensor], expected: Dict[str, torch.Tensor]) -> List[str]:
    common = sorted(set(state) & set(expected))
    misshapen = [f'{k}: file {tuple(state[k].shape)}, model {tuple(expected[k].shape)}'
                 for k in common if state[k].shape != expected[k].shape]
    mistyped = [f'{k}: file {state[k].dtype}, model {expected[k].dtype}' for k in common
                if state[k].dtype not in _accepted_dtypes(expected[k].dtype)]
    problems = [_listing('missing keys', sorted(set(expected) - set(state))),
                _listing('unexpected keys', sorted(set(state) - set(expected))),
                _listing('shape mismatches', misshapen),
                _listing('dtype mismatches', mistyped)]
    return [problem for problem in problems if problem]


def _accepted_dtypes(model_dtype: torch.dtype) -> Tuple[torch.dtype, ...]:
    return FLOAT_DTYPES if model_dtype.is_floating_point else (model_dtype,)
