"""One training forward: LoopTrans's six losses for a batch of exo/ego samples."""
from typing import Dict

import torch
from torch import nn

from looptrans_core.losses.classification import classification_loss
from looptrans_core.losses.contrast import correlation_loss, denoising_loss
from looptrans_core.losses.maps import concentration_loss, dice_loss, minmax_scale
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.train.config import LossConfig
from looptrans_core.train.pseudo_mask import pseudo_masks


class TrainingStep(nn.Module):
    """Wraps a LoopTrans with a cluster module; forward returns the weighted losses.

    A module (rather than a function) so DistributedDataParallel can wrap it.
    """

    def __init__(self, model: LoopTrans, weights: LossConfig) -> None:
        super().__init__()
        if model.cluster is None:
            raise ValueError('training needs a part-cluster module on the model (model.cluster)')
        self.model = model
        self.weights = weights

    def forward(self, exo: torch.Tensor, ego: torch.Tensor,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Weighted losses of (B, E, 3, S, S) exo and (B, 3, S, S) ego images with labels (B,)."""
        model = self.model
        batch, num_exo = exo.shape[:2]
        exo_feat = model.backbone_features(exo.flatten(0, 1))
        ego_feat = model.backbone_features(ego, with_cls_attention=True)
        exo_cams = model.shared_cams(model.project(exo_feat))
        ego_proj = model.project(ego_feat)
        ego_pred = model.ego_prediction(ego_proj)
        ego_cams = model.shared_cams(ego_proj)
        exo_cams = exo_cams.view(batch, num_exo, *exo_cams.shape[1:])
        rows = torch.arange(batch, device=labels.device)
        ego_label = minmax_scale(ego_pred[rows, labels])
        with torch.no_grad():
            parts = model.cluster(ego_feat.keys)
            masks = pseudo_masks(parts, minmax_scale(ego_feat.cls_attention),
                                 minmax_scale(ego_cams[rows, labels]), self.weights.fg_threshold,
                                 self.weights.pseudo_mask)
        exo_keys = _key_maps(exo_feat.keys, exo_feat.grid).view(batch, num_exo, -1,
                                                                *exo_feat.grid)
        num_affordances = model.num_affordances
        losses = {
            'cls': classification_loss(ego_cams, exo_cams, labels),
            'mse': nn.functional.mse_loss(ego_label, masks),
            'dice': dice_loss(ego_label, masks),
            'corr': correlation_loss(ego_pred, exo_cams),
            'denoise': denoising_loss(exo_cams[rows, :, labels], exo_cams[:, :, num_affordances:],
                                      exo_keys, ego_pred[rows, labels],
                                      _key_maps(ego_feat.keys, ego_feat.grid)),
            'concentration': concentration_loss(ego_pred),
        }
        return {name: value * getattr(self.weights, name) for name, value in losses.items()}


def _key_maps(keys: torch.Tensor, grid) -> torch.Tensor:
    """(B, N, C) keys as (B, C, rows, cols) maps."""
    return keys.transpose(1, 2).reshape(keys.shape[0], -1, *grid)
