"""The frozen timm ViT and the features LoopTrans reads from it: last-block attention keys."""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple, Union

import safetensors.torch
import timm
import torch
from torch import nn

from looptrans_core.model.backbone_registry import BackboneConfig

CLS_ATTENTION_HEADS = (0, 1, 3)
"""Heads whose CLS-to-patch attention the published code averages into an object prior."""


@dataclass
class BackboneFeatures:
    """What the backbone gives for a batch of images.

    Attributes:
        keys: (B, N, C) patch keys of the last block, CLS dropped, published channel order
            `c = d * heads + h`.
        grid: patch grid (rows, cols), rows * cols == N.
        cls_attention: (B, rows, cols) CLS-to-patch attention averaged over heads 0, 1, 3, or
            None when not requested.
    """

    keys: torch.Tensor
    grid: Tuple[int, int]
    cls_attention: Optional[torch.Tensor] = None


def create_vit(config: BackboneConfig, weights: Optional[Union[str, Path]] = None) -> nn.Module:
    """Build the timm ViT of `config`, frozen and in eval mode.

    Args:
        config: registry entry.
        weights: None for random weights (a LoopTrans checkpoint fills them later), 'hub' for
            timm's pretrained weights of `config.hub_tag`, or the path of a local file with timm's
            keys (a DINO `dino_deitsmall16_pretrain.pth`, a `pretrain-backbone` .safetensors).
    """
    from_hub = weights == 'hub'
    if from_hub and config.hub_tag is None:
        raise ValueError(f'backbone {config.name} has no pretrained weights on the hub; '
                         'pass a local weights file instead')
    name = f'{config.timm_name}.{config.hub_tag}' if from_hub else config.timm_name
    vit = timm.create_model(name, pretrained=from_hub, num_classes=0, img_size=config.input_size,
                            **config.timm_kwargs)
    if weights is not None and not from_hub:
        load_backbone_file(vit, Path(weights))
    freeze(vit)
    return vit


def load_backbone_file(vit: nn.Module, path: Path) -> None:
    """Load a local timm-keyed `.pth` or `.safetensors` file into `vit`, naming misfit keys."""
    if not path.is_file():
        raise FileNotFoundError(f'backbone weights file not found: {path}')
    if path.suffix == '.safetensors':
        state = safetensors.torch.load_file(str(path))
    else:
        state = torch.load(path, map_location='cpu', weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith('head.')}
    result = vit.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f'{path} does not fit the backbone: missing keys '
                         f'{result.missing_keys}, unexpected keys {result.unexpected_keys}')


def freeze(vit: nn.Module) -> None:
    """Put the backbone in eval mode and stop its gradients."""
    vit.eval()
    for parameter in vit.parameters():
        parameter.requires_grad_(False)


def num_heads(vit: nn.Module) -> int:
    """Attention heads of the last block, read from the model."""
    return vit.blocks[-1].attn.num_heads


def extract_features(vit: nn.Module, images: torch.Tensor,
                     with_cls_attention: bool = False) -> BackboneFeatures:
    """Run the ViT up to the last block's qkv projection and return its keys.

    Args:
        vit: a timm VisionTransformer.
        images: (B, 3, S, S) normalised images, S the backbone's input size.
        with_cls_attention: also compute softmax(q k^T / sqrt(d)) of the CLS query.
    """
    expected = tuple(vit.patch_embed.img_size)
    if tuple(images.shape[-2:]) != expected:
        raise ValueError(f'backbone input must be {expected[0]}x{expected[1]}, got '
                         f'{images.shape[-2]}x{images.shape[-1]}; resize images first '
                         '(the Grounder does this for you)')
    tokens = vit.norm_pre(vit.patch_drop(vit._pos_embed(vit.patch_embed(images))))
    for block in vit.blocks[:-1]:
        tokens = block(tokens)
    last = vit.blocks[-1]
    qkv = last.attn.qkv(last.norm1(tokens))
    batch, num_tokens, _ = qkv.shape
    heads = last.attn.num_heads
    q, k, _ = qkv.reshape(batch, num_tokens, 3, heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
    prefix = vit.num_prefix_tokens
    grid = tuple(vit.patch_embed.grid_size)
    keys = k.permute(0, 3, 1, 2).flatten(1, 2)[:, :, prefix:].transpose(1, 2)
    cls_attention = None
    if with_cls_attention:
        scale = k.shape[-1] ** -0.5
        attention = (q[:, :, :1] @ k.transpose(-2, -1) * scale).softmax(dim=-1)
        heads_used = [h for h in CLS_ATTENTION_HEADS if h < heads]
        cls_attention = attention[:, heads_used, 0, prefix:].mean(1).reshape(batch, *grid)
    return BackboneFeatures(keys=keys, grid=grid, cls_attention=cls_attention)
