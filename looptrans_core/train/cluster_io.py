"""Part-cluster files: the authors' `cluster_{seen,unseen}.pth` and our `.safetensors`."""
import json
from pathlib import Path
from typing import Optional, Union

import safetensors.torch
import torch

from looptrans_core.checkpoints import CheckpointError
from looptrans_core.model.cluster import cluster_from_state, PartCluster

CLUSTER_METADATA_KEY = 'looptrans_cluster'
HOW_TO_GET = ("pass the authors' cluster_seen.pth / cluster_unseen.pth (LoopTrans release, "
              'ckpts/) or make one with `python -m looptrans_core train-cluster --data-root R '
              '--divide D --out DIR`, then set model.cluster=DIR/cluster.safetensors')


def load_cluster_file(path: Optional[Union[str, Path]], dim: int) -> PartCluster:
    """Load a part-cluster file for keys of `dim` channels, frozen, with its forward mode.

    A `.pth` file is the authors' and runs the published forward; ours records its own.
    """
    if path is None:
        raise CheckpointError(f'training needs a part-cluster file (model.cluster); {HOW_TO_GET}')
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f'part-cluster file not found: {path}; {HOW_TO_GET}')
    if path.suffix == '.safetensors':
        with safetensors.safe_open(str(path), framework='pt') as handle:
            info = json.loads((handle.metadata() or {}).get(CLUSTER_METADATA_KEY, '{}'))
            state = {key: handle.get_tensor(key) for key in handle.keys()}
        mode, heads = info.get('forward', 'corrected'), info.get('num_heads', 8)
    else:
        state = torch.load(path, map_location='cpu', weights_only=True)
        mode, heads = 'published', 8
    state = {k.removeprefix('cluster.'): v for k, v in state.items()}
    try:
        cluster = cluster_from_state(state, mode, heads)
    except (ValueError, RuntimeError, KeyError) as error:
        raise CheckpointError(f'{path} is not a part-cluster file: {error}') from None
    if cluster.tokens.embedding_dim != dim:
        raise CheckpointError(f'{path} clusters {cluster.tokens.embedding_dim}-channel keys but '
                              f'the backbone gives {dim} channels')
    return freeze_cluster(cluster)


def save_cluster_file(cluster: PartCluster, path: Path, backbone: str) -> Path:
    """Write the cluster's weights and forward mode as `.safetensors`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {'forward': cluster.forward_mode, 'backbone': backbone,
            'num_heads': cluster.cross_attn_layers[0].num_heads}
    tensors = {k: v.detach().cpu().contiguous() for k, v in cluster.state_dict().items()}
    safetensors.torch.save_file(tensors, str(path),
                                metadata={CLUSTER_METADATA_KEY: json.dumps(info)})
    return path


def freeze_cluster(cluster: PartCluster) -> PartCluster:
    """Eval mode and no gradients: LoopTrans training only reads the parts."""
    cluster.eval()
    for parameter in cluster.parameters():
        parameter.requires_grad_(False)
    return cluster
