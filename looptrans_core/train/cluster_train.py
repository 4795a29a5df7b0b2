"""Train the part-cluster module without labels: modularity of each image's patch-key graph."""
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import torch
from tqdm import tqdm

from looptrans_core.data.agd20k import AGD20KTrainSet
from looptrans_core.device import resolve_device
from looptrans_core.losses.modularity import modularity_loss
from looptrans_core.model.backbone import create_vit, extract_features
from looptrans_core.model.backbone_registry import get_backbone_config
from looptrans_core.model.cluster import PartCluster
from looptrans_core.train.cluster_io import save_cluster_file
from looptrans_core.train.config import check_data_root, check_run_size, save_config
from looptrans_core.train.state import seed_everything

CLUSTER_FILE = 'cluster.safetensors'
CLUSTER_CONFIG_FILE = 'cluster_config.yaml'
"""The resolved ClusterTrainConfig, written beside the cluster file (`--config` reads it)."""


@dataclass
class ClusterTrainConfig:
    """How the cluster module is trained."""

    data_root: str = ''  # AGD20K root (set by --data-root)
    divide: str = 'Seen'  # 'Seen' or 'Unseen'
    backbone: str = 'vit_small_patch16_224'  # registry name; must match LoopTrans training
    backbone_weights: Optional[str] = 'hub'  # 'hub', a local DINO file, or None for random
    forward_mode: str = 'corrected'  # cluster forward recorded in the file
    num_layers: int = 8  # attention layers (published: 8)
    epochs: int = 5  # passes over the training samples
    batch_size: int = 16  # samples per step (each gives 1 ego + 3 exo images)
    lr: float = 1e-4  # AdamW learning rate
    seed: int = 42  # seeds the tokens' initialisation and the sampling
    device: str = 'auto'  # 'auto', 'cpu', 'cuda', 'cuda:N'
    num_workers: int = 4  # DataLoader workers

    def check(self) -> None:
        """Reject settings that cannot work."""
        check_data_root(self.data_root)
        check_run_size(self.epochs, self.batch_size)


def train_cluster(config: ClusterTrainConfig, out: Path) -> List[float]:
    """Train a PartCluster on frozen backbone keys; write `out/cluster.safetensors`.

    The resolved config goes to `out/cluster_config.yaml`. Returns the mean modularity loss of
    each epoch.
    """
    save_config(config, Path(out) / CLUSTER_CONFIG_FILE)
    device = resolve_device(config.device)
    seed_everything(config.seed)
    vit = create_vit(get_backbone_config(config.backbone), config.backbone_weights).to(device)
    cluster = PartCluster(vit.embed_dim, num_layers=config.num_layers,
                          forward_mode=config.forward_mode).to(device)
    optimizer = torch.optim.AdamW(cluster.parameters(), lr=config.lr)
    dataset = AGD20KTrainSet(config.data_root, config.divide, seed=config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    history = []
    for epoch in range(config.epochs):
        dataset.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(dataset, config.batch_size, shuffle=True,
                                             num_workers=config.num_workers, generator=generator)
        total = 0.0
        for batch in tqdm(loader, desc=f'cluster epoch {epoch + 1}/{config.epochs}'):
            images = torch.cat([batch['ego'], batch['exo'].flatten(0, 1)]).to(device)
            with torch.no_grad():
                keys = extract_features(vit, images).keys
            loss = modularity_loss(keys, cluster(keys) - 1.0)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total / len(loader))
        print(f'cluster epoch {epoch + 1}: modularity loss {history[-1]:.4f}')
    save_cluster_file(cluster.cpu(), Path(out) / CLUSTER_FILE, config.backbone)
    return history
