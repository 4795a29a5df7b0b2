"""What every test-time network shares: a frozen ViT's last-block keys and `x + aff_proj(x)`.

LoopTrans and LOCATE read the same features and project them the same way; they differ in the
head between the projection and the classifier (`ego_prediction`) and in the classifier's rows.
"""
from pathlib import Path
from typing import Optional, Union

import torch
from torch import nn

from looptrans_core.device import autocast
from looptrans_core.model.backbone import BackboneFeatures, create_vit, extract_features, freeze
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE, get_backbone_config
from looptrans_core.model.heads import AffordanceProjection


class GroundingNet(nn.Module):
    """Frozen ViT (`vit_model`) + the residual projection `aff_proj`; subclasses add the head.

    Attributes:
        method: the published method whose test forward the network computes.
        backbone_config: the registry entry of the backbone.
        num_affordances: the affordance channels `forward` returns.
    """

    method = ''

    def __init__(self, num_affordances: int, backbone: str = DEFAULT_BACKBONE,
                 backbone_weights: Optional[Union[str, Path]] = None) -> None:
        super().__init__()
        self.backbone_config = get_backbone_config(backbone)
        self.num_affordances = num_affordances
        self.vit_model = create_vit(self.backbone_config, backbone_weights)
        self.aff_proj = AffordanceProjection(self.vit_model.embed_dim)

    def train(self, mode: bool = True) -> 'GroundingNet':
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
        """Egocentric class maps (B, classes, rows, cols) of the projected features."""
        raise NotImplementedError

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
