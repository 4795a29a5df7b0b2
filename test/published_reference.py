"""An independent, hand-written copy of the published test forward, for fidelity tests.

It reads a published-format state dict (keys `vit_model.*`, `aff_proj.*`, `pixel_dec.*`,
`aff_fc.*`) and follows the DINO ViT's `get_last_key` and LoopTrans's `test_forward` step by step
with plain tensor operations, sharing no code with looptrans_core.
"""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _layer_norm(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    return F.layer_norm(x, x.shape[-1:], state[f'{prefix}.weight'], state[f'{prefix}.bias'], 1e-6)


def _linear(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    return x @ state[f'{prefix}.weight'].T + state[f'{prefix}.bias']


def _block(x: Tensor, state: Dict[str, Tensor], prefix: str, heads: int) -> Tensor:
    batch, tokens, channels = x.shape
    qkv = _linear(_layer_norm(x, state, f'{prefix}.norm1'), state, f'{prefix}.attn.qkv')
    qkv = qkv.reshape(batch, tokens, 3, heads, channels // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1) * (channels // heads) ** -0.5).softmax(dim=-1)
    x = x + _linear((attn @ v).transpose(1, 2).reshape(batch, tokens, channels), state,
                    f'{prefix}.attn.proj')
    hidden = F.gelu(_linear(_layer_norm(x, state, f'{prefix}.norm2'), state, f'{prefix}.mlp.fc1'))
    return x + _linear(hidden, state, f'{prefix}.mlp.fc2')


def last_key(images: Tensor, state: Dict[str, Tensor], heads: int) -> Tensor:
    """DINO `get_last_key`: the last block's keys, (B, heads, N, head_dim), CLS included."""
    return last_query_key(images, state, heads)[1]


def last_query_key(images: Tensor, state: Dict[str, Tensor], heads: int) -> Tuple[Tensor, Tensor]:
    """Return the last block's queries and keys, each (B, heads, N, head_dim), CLS included."""
    vit = {k[len('vit_model.'):]: v for k, v in state.items() if k.startswith('vit_model.')}
    x = F.conv2d(images, vit['patch_embed.proj.weight'], vit['patch_embed.proj.bias'], stride=16)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([vit['cls_token'].expand(x.shape[0], -1, -1), x], dim=1) + vit['pos_embed']
    depth = len({k.split('.')[1] for k in vit if k.startswith('blocks.')})
    for i in range(depth - 1):
        x = _block(x, vit, f'blocks.{i}', heads)
    batch, tokens, channels = x.shape
    qkv = _linear(_layer_norm(x, vit, f'blocks.{depth - 1}.norm1'), vit,
                  f'blocks.{depth - 1}.attn.qkv')
    qkv = qkv.reshape(batch, tokens, 3, heads, channels // heads).permute(2, 0, 3, 1, 4)
    return qkv[0], qkv[1]


def _conv_block(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    for conv, bn in ((0, 1), (3, 4)):
        x = F.conv2d(x, state[f'{prefix}.{conv}.weight'], state[f'{prefix}.{conv}.bias'],
                     padding=1)
        x = F.batch_norm(x, state[f'{prefix}.{bn}.running_mean'],
                         state[f'{prefix}.{bn}.running_var'], state[f'{prefix}.{bn}.weight'],
                         state[f'{prefix}.{bn}.bias'], training=False, eps=1e-5)
        x = F.relu(x)
    return x


def test_forward(images: Tensor, state: Dict[str, Tensor], heads: int, label: int) -> Tensor:
    """The published test forward: the raw 14 x 14 map of class `label`, (B, 14, 14)."""
    key = last_key(images, state, heads)
    desc = key.permute(0, 2, 3, 1).flatten(-2, -1)[:, 1:]
    hidden = F.gelu(_linear(_layer_norm(desc, state, 'aff_proj.norm'), state, 'aff_proj.fc1'))
    proj = desc + _linear(hidden, state, 'aff_proj.fc2')
    side = int(proj.shape[1] ** 0.5)
    proj = proj.reshape(proj.shape[0], side, side, -1).permute(0, 3, 1, 2)
    pred = F.conv2d(_conv_block(proj, state, 'pixel_dec'), state['aff_fc.weight'],
                    state['aff_fc.bias'])
    return pred[:, label]


test_forward.__test__ = False
