"""The LoopTrans network: a frozen ViT and the trainable affordance heads."""
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from looptrans_core.affordances import NUM_NOISE_CLASSES
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.model.heads import conv_block


class LoopTrans(GroundingNet):
    """Frozen ViT (`vit_model`) + `aff_proj`, `pixel_dec`, `scam`, `aff_fc` (+ optional `cluster`).

    Attribute names follow the published code, so `state_dict()` keys match its checkpoints.
    The classifier has `num_affordances + 15` outputs; the first `num_affordances` channels
    are the affordances in published order.
    """

    method = 'looptrans'

    def __init__(self, num_affordances: int, backbone: str = DEFAULT_BACKBONE,
                 backbone_weights: Optional[Union[str, Path]] = None) -> None:
        super().__init__(num_affordances, backbone, backbone_weights)
        dim = self.vit_model.embed_dim
        self.pixel_dec = conv_block(dim)
        self.scam = conv_block(dim)
        self.aff_fc = nn.Conv2d(dim, num_affordances + NUM_NOISE_CLASSES, kernel_size=1)
        self.cluster: Optional[nn.Module] = None

    def ego_prediction(self, projected: torch.Tensor) -> torch.Tensor:
        """Egocentric branch: `aff_fc(pixel_dec(proj))`, (B, classes, rows, cols)."""
        return self.aff_fc(self.pixel_dec(projected))

    def shared_cams(self, projected: torch.Tensor) -> torch.Tensor:
        """Shared CAM branch: `aff_fc(scam(proj))`, (B, classes, rows, cols)."""
        return self.aff_fc(self.scam(projected))
