"""Classification loss of the pooled CAM logits."""
import torch
import torch.nn.functional as F


def classification_loss(ego_cams: torch.Tensor, exo_cams: torch.Tensor,
                        labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the ego shared-branch logits + mean cross-entropy of the exo logits.

    Logits are the global average of each CAM. ego_cams: (B, K, H, W); exo_cams:
    (B, E, K, H, W); labels: (B,) class indices.
    """
    ego_logits = ego_cams.mean((-2, -1))
    exo_logits = exo_cams.mean((-2, -1))
    num_exo = exo_logits.shape[1]
    exo_loss = F.cross_entropy(exo_logits.flatten(0, 1), labels.repeat_interleave(num_exo))
    return F.cross_entropy(ego_logits, labels) + exo_loss
