"""The LoopTrans network: a frozen ViT and the trainable affordance heads."""
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from looptrans_core.affordances import NUM_NOISE_CLASSES
from looptrans_core.device import autocast
from looptrans_core.model.backbone import BackboneFeatures, create_vit, extract_features, freeze
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE, get_backbone_config
from looptrans_core.model.heads import AffordanceProjection, conv_block


class LoopTrans(nn.Module):
    """Frozen ViT (`vit_model`) + `aff_proj`, `pixel_dec`, `scam`, `aff_fc` (+ optional `cluster`).

    Attribute names follow the published code, so `state_dict()` keys match its checkpoints.
    The classifier has `num_affordances + 15` outputs; the first `num_affordances` channels
    are the affordances in published order.
    """

    def __init__(self, num_affordances: int, backbone: str = DEFAULT_BACKBONE,
                 backbone_weights: Optional[Union[str, Path]] = None) -> None:
        super().__init__()
        self.backbone_config = get_backbone_config(backbone)
        self.num_affordances = num_affordances
        self.vit_model = create_vit(self.backbone_config, backbone_weights)
        dim = self.vit_model.embed_dim
        self.aff_proj = AffordanceProjection(dim)
        self.pixel_dec = conv_block(dim)
        self.scam = conv_block(dim)
        self.aff_fc = nn.Conv2d(dim, num_affordances + NUM_NOISE_CLASSES, kernel_size=1)
        self.cluster: Optional[nn.Module] = None

    def train(self, mode: bool = True) -> 'LoopTrans':
        """Switch the heads' mode; the backbone always stays in eval mode."""
        super().train(mode)
        freeze(self.vit_model)
        return self

    @torch.no_grad()
    def backbone_features(self, images: torch.Tensor,
                          with_cls_attention: bool = False) -> BackboneFeatures:
        """Frozen last-block keys (and optionally the CLS attention) of normalised images."""
        return extract_features(self.vit_model, images, with_cls_attention)

    def project(self, features: BackboneFeatures) -> torch.Tensor:
        """`x + aff_proj(x)` reshaped to a (B, C, rows, cols) feature map."""
        keys = features.keys
        projected = keys + self.aff_proj(keys)
        rows, cols = features.grid
        return projected.transpose(1, 2).reshape(keys.shape[0], -1, rows, cols)

    def ego_prediction(self, projected: torch.Tensor) -> torch.Tensor:
        """Egocentric branch: `aff_fc(pixel_dec(proj))`, (B, classes, rows, cols)."""
        return self.aff_fc(self.pixel_dec(projected))

    def shared_cams(self, projected: torch.Tensor) -> torch.Tensor:
        """Shared CAM branch: `aff_fc(scam(proj))`, (B, classes, rows, cols)."""
        return self.aff_fc(self.scam(projected))

    def forward(self, images: torch.Tensor,
                backbone_dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Test-time maps of every affordance: (B, num_affordances, rows, cols), raw logits.

        `backbone_dtype` (fp16, bf16) runs only the frozen backbone under autocast; the small
        heads stay fp32, since half-precision heads alone move random-weight maps by up to 2e-2
        (this keeps them below 1e-2).
        """
        with autocast(images.device, backbone_dtype):
            features = self.backbone_features(images)
        features.keys = features.keys.float()
        return self.ego_prediction(self.project(features))[:, :self.num_affordances]
