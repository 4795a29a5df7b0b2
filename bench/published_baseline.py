"""The published inference pipeline, kept as the benchmark baseline (never used for results).

PIL image -> torchvision Resize((224, 224)) -> ToTensor -> Normalize -> one full `test_forward`
per action in fp32 (DINO `get_last_key`: every block run whole, attention computed explicitly,
then the heads, keeping that action's channel) -> `cv2.resize` and min-max per map.
"""
from typing import Dict, Sequence

import cv2
import numpy as np
from PIL import Image
import torch
from torch import nn
from torchvision import transforms

from looptrans_core.model.looptrans import LoopTrans


def published_transform(model: LoopTrans) -> transforms.Compose:
    """Build the published test transform."""
    config = model.backbone_config
    return transforms.Compose([
        transforms.Resize((config.input_size, config.input_size)), transforms.ToTensor(),
        transforms.Normalize(config.mean, config.std)])


def _explicit_block(block: nn.Module, x: torch.Tensor, return_key: bool = False):
    """Run a DINO block: explicit softmax(q k^T / sqrt(d)) v attention, MLP, residuals."""
    batch, tokens, channels = x.shape
    heads = block.attn.num_heads
    qkv = block.attn.qkv(block.norm1(x)).reshape(batch, tokens, 3, heads, -1)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)
    attn = (q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5).softmax(dim=-1)
    x = x + block.attn.proj((attn @ v).transpose(1, 2).reshape(batch, tokens, channels))
    x = x + block.mlp(block.norm2(x))
    return (x, k, attn) if return_key else x


@torch.no_grad()
def published_test_forward(model: LoopTrans, images: torch.Tensor, label: int) -> torch.Tensor:
    """Return the raw (B, 14, 14) map of one class as `Net.test_forward(ego, aff_label)`."""
    vit = model.vit_model
    x = vit.norm_pre(vit._pos_embed(vit.patch_embed(images)))
    for block in vit.blocks[:-1]:
        x = _explicit_block(block, x)
    _, key, _ = _explicit_block(vit.blocks[-1], x, return_key=True)
    desc = key.permute(0, 2, 3, 1).flatten(-2, -1)[:, 1:]
    proj = desc + model.aff_proj(desc)
    side = int(proj.shape[1] ** 0.5)
    proj = proj.transpose(1, 2).reshape(proj.shape[0], -1, side, side)
    return model.aff_fc(model.pixel_dec(proj))[:, label]


def normalize_map(atten_map: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize and min-max normalise as the published `normalize_map` (eps 1e-10)."""
    atten_map = cv2.resize(atten_map, dsize=(width, height))
    low, high = np.min(atten_map), np.max(atten_map)
    return (atten_map - low) / (high - low + 1e-10)


def published_ground(model: LoopTrans, image_rgb: np.ndarray, labels: Sequence[int],
                     transform: transforms.Compose) -> Dict[int, np.ndarray]:
    """Heat maps of `labels` on one RGB image, one full forward per label, as published."""
    batch = transform(Image.fromarray(image_rgb)).unsqueeze(0)
    height, width = image_rgb.shape[:2]
    return {label: normalize_map(published_test_forward(model, batch, label)[0].numpy(),
                                 width, height) for label in labels}
