"""Pseudo masks for the egocentric branch: the object part that the shared CAM points at."""
import torch

FOREGROUND_THRESHOLD = 0.92
"""The label CAM, min-max scaled, marks the affordance where it exceeds this."""


def pseudo_masks(part_scores: torch.Tensor, cls_attention: torch.Tensor,
                 label_cams: torch.Tensor, threshold: float = FOREGROUND_THRESHOLD,
                 ) -> torch.Tensor:
    """Binary (B, H, W) masks of the affordance part of each egocentric image.

    Each patch goes to its best-scoring part. The background part has the lowest mean CLS
    attention; among the others the affordance part has the highest IoU with the thresholded
    CAM. Cases the published code leaves undefined are decided here: an empty part is never
    background nor chosen; when every IoU is zero the part with the highest mean CAM wins; an
    image whose patches all fall in one part gets an empty mask.

    Args:
        part_scores: (B, H*W, P) cluster output for the ego patch keys.
        cls_attention: (B, H, W) CLS attention, min-max scaled.
        label_cams: (B, H, W) shared-branch CAM of each label, min-max scaled.
        threshold: CAM level that counts as foreground.
    """
    batch, height, width = label_cams.shape
    parts = part_scores.argmax(-1)
    members = torch.nn.functional.one_hot(parts, part_scores.shape[-1]).float()
    sizes = members.sum(1)
    empty = sizes == 0
    foreground = (label_cams.flatten(1) > threshold).float()
    intersection = (members * foreground.unsqueeze(-1)).sum(1)
    union = sizes + foreground.sum(1, keepdim=True) - intersection
    iou = intersection / (union + 1e-6)
    attention = _part_means(members, cls_attention.flatten(1), sizes)
    background = attention.masked_fill(empty, float('inf')).argmin(-1, keepdim=True)
    excluded = empty.scatter(1, background, True)
    mean_cam = _part_means(members, label_cams.flatten(1), sizes)
    use_iou = (iou.masked_fill(excluded, 0).amax(-1, keepdim=True) > 0)
    choice = torch.where(use_iou, iou, mean_cam).masked_fill(excluded, -1).argmax(-1)
    chosen = (parts == choice.unsqueeze(-1)) & ~excluded.all(-1, keepdim=True)
    return chosen.float().view(batch, height, width)


def _part_means(members: torch.Tensor, values: torch.Tensor, sizes: torch.Tensor):
    return (members * values.unsqueeze(-1)).sum(1) / sizes.clamp_min(1)
