"""LOCATE's test-time network, re-written from its published code for fidelity tests.

Written from Reagan1311/LOCATE (`models/locate.py`: `Net`, `Mlp`, `test_forward`;
`models/dino/vision_transformer.py`: the DINO ViT and `get_last_key`; `data/datatest.py`: the
test transform), in our own words and sharing no code with looptrans_core. Its modules carry
LOCATE's names, so `LocateNet().state_dict()` has exactly the keys, shapes and extra entries
(the training-only `aff_exo_proj`, BatchNorm counters) of a file LOCATE's `train.py` saves with
`torch.save(model.state_dict(), ...)`. Dropout is 0 and the model runs in eval mode, as in
LOCATE's `test.py`.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
from PIL import Image
import torch
from torch import nn
from torchvision import transforms

Tensor = torch.Tensor
TEST_TRANSFORM = transforms.Compose([
    transforms.Resize((224, 224)), transforms.ToTensor(),
    transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))])
"""`TestData.transform` of LOCATE's data/datatest.py (crop_size 224), on a PIL RGB image."""


class DinoAttention(nn.Module):
    """DINO's Attention: one qkv Linear; with `return_key` it also gives the keys."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = self.proj((attn @ v).transpose(1, 2).reshape(batch, tokens, dim))
        return out, attn, k


class DinoMlp(nn.Module):
    """The ViT block's MLP: fc1 -> GELU -> fc2 (no norm)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * 4)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * 4, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DinoBlock(nn.Module):
    """Pre-norm block; LayerNorm eps 1e-6 as `vit_small` builds it."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = DinoAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = DinoMlp(dim)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, attn, key = self.attn(self.norm1(x))
        x = x + y
        return x + self.mlp(self.norm2(x)), key, attn


class PatchEmbed(nn.Module):
    """16 x 16 patches by a strided conv, flattened to tokens."""

    def __init__(self, dim: int, patch: int = 16) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class DinoViT(nn.Module):
    """DINO's VisionTransformer with `num_classes=0` (its head an Identity, no weights)."""

    def __init__(self, dim: int, depth: int, heads: int, image: int = 224,
                 patch: int = 16) -> None:
        super().__init__()
        self.patch_embed = PatchEmbed(dim, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        self.blocks = nn.ModuleList([DinoBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def get_last_key(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Tokens, keys (B, heads, 1 + hw, head_dim) and attention of the last block.

        The positional embedding is used as stored: at 224 x 224 DINO's
        `interpolate_pos_encoding` returns it unchanged.
        """
        tokens = self.patch_embed(x)
        tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1)
        tokens = tokens + self.pos_embed
        for block in self.blocks[:-1]:
            tokens = block(tokens)[0]
        return self.blocks[-1](tokens)


class LocateMlp(nn.Module):
    """LOCATE's `Mlp` (models/locate.py): LayerNorm (eps 1e-5) -> fc1 -> GELU -> fc2."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * 4)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * 4, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(self.norm(x))))


def conv_bn_relu_twice(dim: int) -> nn.Sequential:
    """`aff_ego_proj` / `aff_exo_proj`: (3x3 conv, BN, ReLU) twice, indices 0, 1, 3, 4."""
    return nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1), nn.BatchNorm2d(dim), nn.ReLU(True),
                         nn.Conv2d(dim, dim, 3, 1, 1), nn.BatchNorm2d(dim), nn.ReLU(True))


class LocateNet(nn.Module):
    """LOCATE's `Net(aff_classes)`: the modules it saves, and its `test_forward`.

    The defaults are LOCATE's ViT-S/16 (384 channels, 12 blocks, 6 heads); smaller sizes give
    the same layout for fast tests.
    """

    def __init__(self, aff_classes: int, dim: int = 384, depth: int = 12,
                 heads: int = 6) -> None:
        super().__init__()
        self.vit_model = DinoViT(dim, depth, heads)
        self.aff_proj = LocateMlp(dim)
        self.aff_ego_proj = conv_bn_relu_twice(dim)
        self.aff_exo_proj = conv_bn_relu_twice(dim)
        self.aff_fc = nn.Conv2d(dim, aff_classes, 1)

    @torch.no_grad()
    def ego_pred(self, ego: Tensor) -> Tensor:
        """`ego_pred` of `test_forward` before one label is picked: (B, aff_classes, 14, 14)."""
        _, ego_key, _ = self.vit_model.get_last_key(ego)
        ego_desc = ego_key.permute(0, 2, 3, 1).flatten(-2, -1)
        ego_proj = ego_desc[:, 1:] + self.aff_proj(ego_desc[:, 1:])
        side = (224 - 16) // 16 + 1  # LOCATE's _reshape_transform
        ego_proj = ego_proj.reshape(ego.shape[0], side, side, -1)
        ego_proj = ego_proj.transpose(2, 3).transpose(1, 2).contiguous()
        return self.aff_fc(self.aff_ego_proj(ego_proj))

    def test_forward(self, ego: Tensor, aff_label: Sequence[int]) -> Tensor:
        """Return LOCATE's test forward: the raw (B, 14, 14) map of each image's label."""
        pred = self.ego_pred(ego)
        return torch.stack([pred[b, label] for b, label in enumerate(aff_label)])


def seeded_locate(aff_classes: int, seed: int, **sizes: int) -> LocateNet:
    """Build a LocateNet with seeded, non-trivial weights everywhere, in eval mode.

    Every parameter (LayerNorm and BatchNorm affines and biases included) gets seeded noise and
    every BatchNorm seeded running statistics, so a tensor loaded into the wrong place shows.
    """
    torch.manual_seed(seed)
    net = LocateNet(aff_classes, **sizes)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in net.named_parameters():
            base = 1.0 if name.endswith(('norm.weight', 'norm1.weight', 'norm2.weight')) else 0.0
            tensor.copy_(base + 0.05 * torch.randn(tensor.shape, generator=generator))
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                shape = module.running_mean.shape
                module.running_mean.copy_(0.1 * torch.randn(shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                module.weight.copy_(0.5 + torch.rand(shape, generator=generator))
                module.num_batches_tracked.fill_(1234)
    return net.eval()


def published_input(image_rgb: np.ndarray) -> Tensor:
    """(1, 3, 224, 224): LOCATE's test transform of an H x W x 3 uint8 RGB image (via PIL)."""
    return TEST_TRANSFORM(Image.fromarray(image_rgb))[None]


SEEN = ('beat', 'boxing', 'brush_with', 'carry', 'catch', 'cut', 'cut_with', 'drag', 'drink_with',
        'eat', 'hit', 'hold', 'jump', 'kick', 'lie_on', 'lift', 'look_out', 'open', 'pack',
        'peel', 'pick_up', 'pour', 'push', 'ride', 'sip', 'sit_on', 'stick', 'stir', 'swing',
        'take_photo', 'talk_on', 'text_on', 'throw', 'type_on', 'wash', 'write')
UNSEEN = ('carry', 'catch', 'cut', 'cut_with', 'drink_with', 'eat', 'hit', 'hold', 'jump', 'kick',
          'lie_on', 'open', 'peel', 'pick_up', 'pour', 'push', 'ride', 'sip', 'sit_on', 'stick',
          'swing', 'take_photo', 'throw', 'type_on', 'wash')
"""`aff_list` of LOCATE's data/datatest.py and test.py for divide 'Seen' and otherwise."""


def normalize_map(raw: np.ndarray, dsize: Tuple[int, int] = (224, 224)) -> np.ndarray:
    """Return LOCATE's utils/util.py `normalize_map`: cv2.resize to `dsize` (W, H), min-max.

    LOCATE's test.py resizes to (crop_size, crop_size) = (224, 224); a robot wants the image's.
    """
    resized = cv2.resize(raw, dsize=dsize)
    return (resized - np.min(resized)) / (np.max(resized) - np.min(resized) + 1e-10)


def locate_metrics(pred: np.ndarray, gt: np.ndarray, eps: float = 1e-12) -> Tuple[float, ...]:
    """KLD, SIM, NSS as LOCATE's utils/evaluation.py computes them (one map each)."""
    p, g = pred / (pred.sum() + eps), gt / (gt.sum() + eps)
    kld = np.sum(g * np.log(g / (p + eps) + eps))
    sim = np.sum(np.minimum(p, g))
    scaled, truth = pred / 255.0, gt / 255.0
    smap = (scaled - np.mean(scaled)) / np.std(scaled)
    fixation = (truth - np.min(truth)) / (np.max(truth) - np.min(truth) + 1e-12)
    fixation = (fixation > 0.1).astype(np.float64)
    nss = np.sum(smap * fixation) / np.sum(fixation + 1e-12)
    return float(kld), float(sim), float(nss)


TINY = {'dim': 64, 'depth': 2, 'heads': 4}
"""The sizes of our `vit_tiny_test` backbone, for fast tests of the same layout."""


def save_locate_file(path, aff_classes: int, seed: int = 0, **sizes: int) -> LocateNet:
    """Write a seeded LocateNet as LOCATE's train.py does (`torch.save(state_dict)`); return it."""
    net = seeded_locate(aff_classes, seed, **sizes)
    torch.save(net.state_dict(), path)
    return net
