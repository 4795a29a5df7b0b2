"""LOCATE's test-time network (Li et al., CVPR 2023), with its module names for its state dicts.

LOCATE's `Net.test_forward`: the frozen DINO ViT's last-block keys, `x + aff_proj(x)`, then
`aff_ego_proj` (two 3x3 conv + BN + ReLU blocks) and `aff_fc` (a 1x1 conv with one output per
affordance, no noise classes). Its training-only parts (`aff_exo_proj`, the prototypes) are not
built: a released file's `aff_exo_proj.*` is dropped by `locate_layout`.
"""
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.model.heads import conv_block


class Locate(GroundingNet):
    """Frozen ViT (`vit_model`) + `aff_proj`, `aff_ego_proj`, `aff_fc` (`num_affordances` rows)."""

    method = 'locate'

    def __init__(self, num_affordances: int, backbone: str = DEFAULT_BACKBONE,
                 backbone_weights: Optional[Union[str, Path]] = None) -> None:
        super().__init__(num_affordances, backbone, backbone_weights)
        dim = self.vit_model.embed_dim
        self.aff_ego_proj = conv_block(dim)
        self.aff_fc = nn.Conv2d(dim, num_affordances, kernel_size=1)

    def ego_prediction(self, projected: torch.Tensor) -> torch.Tensor:
        """`aff_fc(aff_ego_proj(proj))`, (B, num_affordances, rows, cols)."""
        return self.aff_fc(self.aff_ego_proj(projected))
