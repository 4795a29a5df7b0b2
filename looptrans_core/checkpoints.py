"""Load and save LoopTrans weights safely: the published state dicts and our safetensors format.

Published files are what `torch.save(model.state_dict())` writes: keys `vit_model.*`,
`aff_proj.*`, `pixel_dec.*`, `scam.*`, `aff_fc.*` and optionally `cluster.*`. Ours is one
`.safetensors` file whose header metadata holds a JSON document under the key `looptrans`.
Nothing is ever unpickled beyond tensors: `torch.load(..., weights_only=True)` or safetensors.
"""
from dataclasses import asdict, dataclass, field, replace
import json
from pathlib import Path
import pickle
from typing import Any, Dict, Optional, Tuple, Union

import safetensors.torch
import torch

from looptrans_core.affordances import (affordances_for_divide, divide_for_num_classes,
                                        NUM_NOISE_CLASSES)
from looptrans_core.model.backbone_registry import get_backbone_config, list_backbones
from looptrans_core.model.cluster import cluster_from_state
from looptrans_core.model.looptrans import LoopTrans

FORMAT_VERSION = 1
METADATA_KEY = 'looptrans'


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
    """

    backbone: str
    affordances: Tuple[str, ...]
    divide: str
    input_size: int = 224
    format_version: int = FORMAT_VERSION
    description: str = ''
    cluster_forward: Optional[str] = None
    training_config: Dict[str, Any] = field(default_factory=dict)


def save_checkpoint(model: LoopTrans, path: Union[str, Path],
                    metadata: CheckpointMetadata) -> Path:
    """Write `model`'s weights and `metadata` to a `.safetensors` file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if model.cluster is not None:
        metadata = replace(metadata, cluster_forward=model.cluster.forward_mode)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    header = {METADATA_KEY: json.dumps(asdict(metadata))}
    safetensors.torch.save_file(tensors, str(path), metadata=header)
    return path


def load_checkpoint(path: Union[str, Path], map_location: Union[str, torch.device] = 'cpu',
                    ) -> Tuple[LoopTrans, CheckpointMetadata]:
    """Build a LoopTrans model from a published `.pth` or one of our `.safetensors` files."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f'checkpoint not found: {path}; pass the path of a published '
                              'LoopTrans .pth file or a .safetensors file written by training')
    if path.suffix == '.safetensors':
        state, metadata = _read_safetensors(path)
    else:
        state = _read_torch_file(path)
        metadata = infer_published_metadata(state, path)
    model = LoopTrans(len(metadata.affordances), backbone=metadata.backbone)
    metadata = attach_stored_cluster(model, state, metadata)
    load_state_dict_checked(model, state, path, metadata)
    return model.to(map_location).eval(), metadata


def _read_safetensors(path: Path) -> Tuple[Dict[str, torch.Tensor], CheckpointMetadata]:
    with safetensors.safe_open(str(path), framework='pt') as handle:
        header = handle.metadata() or {}
        state = {key: handle.get_tensor(key) for key in handle.keys()}
    if METADATA_KEY not in header:
        raise CheckpointError(f'{path} has no LoopTrans metadata (header key {METADATA_KEY!r}); '
                              'it was not written by looptrans_core.save_checkpoint')
    fields = json.loads(header[METADATA_KEY])
    if fields.get('format_version') != FORMAT_VERSION:
        raise CheckpointError(f'{path} has format version {fields.get("format_version")}; '
                              f'this looptrans_core reads version {FORMAT_VERSION}')
    fields['affordances'] = tuple(fields['affordances'])
    return state, CheckpointMetadata(**fields)


def _read_torch_file(path: Path) -> Dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as error:
        raise CheckpointError(
            f'{path} is not a plain tensor state dict and was not loaded (only tensors are '
            f'read, never arbitrary pickled objects): {error}') from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f'{path} holds a {type(state).__name__}, expected the dict that '
                              'torch.save(model.state_dict()) writes')
    return state


def infer_published_metadata(state: Dict[str, torch.Tensor], path: Path) -> CheckpointMetadata:
    """Read the split from `aff_fc.weight` and the backbone from the ViT's shapes."""
    if 'aff_fc.weight' not in state:
        raise CheckpointError(f'{path} has no aff_fc.weight; expected a LoopTrans state dict '
                              'with keys vit_model.*, aff_proj.*, pixel_dec.*, scam.*, aff_fc.*')
    num_classes = state['aff_fc.weight'].shape[0]
    try:
        divide = divide_for_num_classes(num_classes)
    except ValueError as error:
        raise CheckpointError(f'{path}: {error}') from None
    return CheckpointMetadata(backbone=_backbone_from_state(state, path),
                              affordances=affordances_for_divide(divide), divide=divide,
                              description=f'published LoopTrans checkpoint {path.name}')


def _backbone_from_state(state: Dict[str, torch.Tensor], path: Path) -> str:
    if 'vit_model.cls_token' not in state:
        raise CheckpointError(f'{path} has no vit_model.* keys; a published LoopTrans state dict '
                              'holds the backbone under vit_model.')
    dim = state['vit_model.cls_token'].shape[-1]
    depth = len({k.split('.')[2] for k in state if k.startswith('vit_model.blocks.')})
    for name in list_backbones():
        config = get_backbone_config(name)
        kwargs = config.timm_kwargs
        if kwargs.get('embed_dim', 384) == dim and kwargs.get('depth', 12) == depth:
            return name
    raise CheckpointError(f'{path}: no registered backbone has {dim} channels and {depth} '
                          f'blocks; registered: {list_backbones()}')


def attach_stored_cluster(model: LoopTrans, state: Dict[str, torch.Tensor],
                          metadata: CheckpointMetadata) -> CheckpointMetadata:
    """Give `model` the part-cluster module stored under `cluster.*`, if any.

    Published files run the published forward; ours record theirs in `cluster_forward`.
    """
    cluster_state = {k[len('cluster.'):]: v for k, v in state.items() if k.startswith('cluster.')}
    if not cluster_state:
        return metadata
    metadata = replace(metadata, cluster_forward=metadata.cluster_forward or 'published')
    model.cluster = cluster_from_state(cluster_state, metadata.cluster_forward)
    return metadata


def load_state_dict_checked(model: LoopTrans, state: Dict[str, torch.Tensor], path: Path,
                            metadata: CheckpointMetadata) -> None:
    """Load strictly, naming missing, unexpected and misshapen keys."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshapen = sorted(f'{k}: file {tuple(state[k].shape)}, model {tuple(expected[k].shape)}'
                       for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
    if missing or unexpected or misshapen:
        raise CheckpointError(
            f'{path} does not fit a LoopTrans model with backbone {metadata.backbone} and '
            f'{len(metadata.affordances)} + {NUM_NOISE_CLASSES} classes: missing keys {missing}, '
            f'unexpected keys {unexpected}, shape mismatches {misshapen}')
    model.load_state_dict({k: v for k, v in state.items() if k in expected})
