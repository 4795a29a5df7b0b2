"""Pretrain a small ViT backbone on synthetic images with image-level labels only.

LoopTrans needs a backbone that already knows objects: its CLS attention picks the background
part for the pseudo masks and its keys feed the part clusters. The published backbone is DINO on
ImageNet; for CPU runs on synthetic data this module gives a tiny ViT the same kind of knowledge
by classifying the OBJECT of each training image (exocentric and egocentric) from its CLS token.
The label is the object folder name only: no part mask, GT heat map or test image is ever read,
so nothing of the evaluation's labels leaks into the backbone.
"""
from dataclasses import dataclass
import json
from pathlib import Path
from typing import List, Tuple

import safetensors.torch
import timm
import torch
from torchvision.transforms.v2 import functional as TF

from looptrans_core.data.agd20k import index_images, read_rgb
from looptrans_core.device import resolve_device
from looptrans_core.model.backbone_registry import BackboneConfig, get_backbone_config
from looptrans_core.train.config import check_data_root, check_run_size, save_config
from looptrans_core.train.state import seed_everything

BACKBONE_FILE = 'backbone.safetensors'
PRETRAIN_CONFIG_FILE = 'pretrain_config.yaml'
"""The resolved PretrainConfig, written beside the backbone file (`--config` reads it)."""
TRAIN_SUBSETS = ('trainset/exocentric', 'trainset/egocentric')
LOAD_SIZE = 256
"""Images are held in memory at LOAD_SIZE x LOAD_SIZE; crops are resized to the input size."""


@dataclass
class PretrainConfig:
    """How the backbone is pretrained."""

    data_root: str = ''  # AGD20K-format root (synthetic); only trainset/ images are read
    divide: str = 'Seen'  # 'Seen' or 'Unseen'
    backbone: str = 'vit_tiny_synth'  # registry name of the ViT to pretrain
    epochs: int = 30  # passes over the training images
    batch_size: int = 32  # images per step
    lr: float = 2e-3  # AdamW peak learning rate (cosine decay to 0)
    weight_decay: float = 0.05  # AdamW weight decay
    min_crop: float = 0.35  # smallest random crop, as a fraction of the image area
    seed: int = 0  # seeds the initialisation, the order and the crops
    device: str = 'auto'  # 'auto', 'cpu', 'cuda', 'cuda:N'

    def check(self) -> None:
        """Reject settings that cannot work."""
        check_data_root(self.data_root)
        check_run_size(self.epochs, self.batch_size)


def object_images(root: str, divide: str) -> Tuple[List[Path], List[int], Tuple[str, ...]]:
    """Return the training image paths, their object-class indices and the object names."""
    folders = {}
    for subset in TRAIN_SUBSETS:
        for (_, obj), paths in index_images(root, divide, subset).items():
            folders.setdefault(obj, []).extend(paths)
    objects = tuple(sorted(folders))
    if len(objects) < 2:
        raise ValueError(f'pretraining classifies objects and needs at least 2 object folders '
                         f'under {Path(root) / divide}/trainset, found {list(objects)}')
    paths = [p for obj in objects for p in sorted(folders[obj])]
    labels = [i for i, obj in enumerate(objects) for _ in folders[obj]]
    return paths, labels, objects


def load_images(paths: List[Path]) -> torch.Tensor:
    """(N, 3, LOAD_SIZE, LOAD_SIZE) uint8 images."""
    return torch.stack([TF.resize(torch.from_numpy(read_rgb(p)).permute(2, 0, 1),
                                  [LOAD_SIZE, LOAD_SIZE], antialias=True) for p in paths])


def augment(images: torch.Tensor, backbone: BackboneConfig, min_crop: float) -> torch.Tensor:
    """Random resized crops and flips of uint8 images, normalised for the backbone."""
    size = backbone.input_size
    crops = []
    for image in images:
        scale = float(torch.empty(1).uniform_(min_crop, 1.0))
        ratio = float(torch.empty(1).uniform_(-0.25, 0.25).exp())
        height = min(LOAD_SIZE, round(LOAD_SIZE * (scale / ratio) ** 0.5))
        width = min(LOAD_SIZE, round(LOAD_SIZE * (scale * ratio) ** 0.5))
        top = int(torch.randint(LOAD_SIZE - height + 1, ()))
        left = int(torch.randint(LOAD_SIZE - width + 1, ()))
        crop = TF.resized_crop(image, top, left, height, width, [size, size], antialias=True)
        crops.append(TF.horizontal_flip(crop) if torch.rand(()) < 0.5 else crop)
    batch = TF.to_dtype(torch.stack(crops), torch.float32, scale=True)
    return TF.normalize(batch, list(backbone.mean), list(backbone.std))


def pretrain_backbone(config: PretrainConfig, out: Path) -> List[Tuple[float, float]]:
    """Pretrain and write `out/backbone.safetensors` (timm keys, no classifier head).

    The resolved config goes to `out/pretrain_config.yaml`. Returns (mean loss, training
    accuracy) of each epoch.
    """
    save_config(config, Path(out) / PRETRAIN_CONFIG_FILE)
    device = resolve_device(config.device)
    seed_everything(config.seed)
    backbone = get_backbone_config(config.backbone)
    paths, labels, objects = object_images(config.data_root, config.divide)
    images, targets = load_images(paths), torch.tensor(labels)
    vit = timm.create_model(backbone.timm_name, num_classes=len(objects),
                            img_size=backbone.input_size, **backbone.timm_kwargs).to(device)
    optimizer = torch.optim.AdamW(vit.parameters(), config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * -(-len(paths) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=steps,
                                                   pct_start=0.1)
    history = []
    for epoch in range(config.epochs):
        total, correct = 0.0, 0
        for index in torch.randperm(len(paths)).split(config.batch_size):
            batch = augment(images[index], backbone, config.min_crop).to(device)
            logits = vit(batch)
            loss = torch.nn.functional.cross_entropy(logits, targets[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
            correct += int((logits.argmax(1).cpu() == targets[index]).sum())
        history.append((total / len(paths), correct / len(paths)))
        print(f'pretrain epoch {epoch + 1}/{config.epochs}: loss {history[-1][0]:.4f} '
              f'accuracy {history[-1][1]:.3f}')
    save_backbone(vit, Path(out) / BACKBONE_FILE, config, objects)
    return history


def save_backbone(vit: torch.nn.Module, path: Path, config: PretrainConfig,
                  objects: Tuple[str, ...]) -> Path:
    """Write the ViT's weights without its classifier head, and how they were made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in vit.state_dict().items()
               if not k.startswith('head.')}
    info = {'backbone': config.backbone, 'objects': list(objects), 'epochs': config.epochs,
            'seed': config.seed, 'labels': 'object class per training image (image level)'}
    safetensors.torch.save_file(tensors, str(path), metadata={'pretrain': json.dumps(info)})
    return path
