"""Pseudo masks for the egocentric branch: the object part that the shared CAM points at.

Two rules differ only in the corner cases (`loss.pseudo_mask`):

- 'published' (default), bit for bit the authors' part selection: the background part is the
  argmin of the per-part mean CLS attention, its IoU is set to -1, the argmax of the IoUs is the
  affordance part. When no part overlaps the thresholded CAM, every other IoU is 0 and the
  argmax is the lowest-index non-background part. An empty part's mean attention is 0 / 0 = NaN,
  and argmin returns the index of the first NaN, so an empty part becomes "background" and the
  real lowest-attention part can be chosen; when every patch falls into one part, that part is
  the mask (all ones).
- 'robust': an empty part is never background nor chosen; when no other part overlaps the CAM,
  the part with the highest mean CAM wins; an image whose patches all fall into one part gets an
  empty mask.
"""
from typing import Callable, Dict

import torch

FOREGROUND_THRESHOLD = 0.92
"""The label CAM, min-max scaled, marks the affordance where it exceeds this."""
IOU_EPS = 1e-6
"""The published IoU is intersection / (union + 1e-6)."""


def pseudo_masks(part_scores: torch.Tensor, cls_attention: torch.Tensor,
                 label_cams: torch.Tensor, threshold: float = FOREGROUND_THRESHOLD,
                 rule: str = 'published') -> torch.Tensor:
    """Binary (B, H, W) masks of the affordance part of each egocentric image.

    Each patch goes to its best-scoring part. The background part has the lowest mean CLS
    attention; among the others the affordance part has the highest IoU with the thresholded
    CAM. `rule` decides the corner cases (module docstring).

    Args:
        part_scores: (B, H*W, P) cluster output for the ego patch keys.
        cls_attention: (B, H, W) CLS attention, min-max scaled.
        label_cams: (B, H, W) shared-branch CAM of each label, min-max scaled.
        threshold: CAM level that counts as foreground.
        rule: 'published' or 'robust'.
    """
    if rule not in PSEUDO_MASK_RULES:
        raise ValueError(f'unknown pseudo-mask rule {rule!r}; expected one of '
                         f'{tuple(PSEUDO_MASK_RULES)}')
    batch, height, width = label_cams.shape
    parts = part_scores.argmax(-1)
    members = torch.nn.functional.one_hot(parts, part_scores.shape[-1]).float()
    foreground = (label_cams.flatten(1) > threshold).float()
    chosen = PSEUDO_MASK_RULES[rule](parts, members, foreground, cls_attention.flatten(1),
                                     label_cams.flatten(1))
    return chosen.float().view(batch, height, width)


def _published(parts: torch.Tensor, members: torch.Tensor, foreground: torch.Tensor,
               attention: torch.Tensor, cams: torch.Tensor) -> torch.Tensor:
    # An empty part's mean attention is 0 / 0 = NaN, and torch.argmin returns the index of the
    # first NaN (checked on CPU with torch 2.14, as in the published per-part loop): the empty
    # part is taken as background. Kept on purpose: it is what the published training does.
    background = _part_means(members, attention).argmin(-1, keepdim=True)
    choice = _ious(members, foreground).scatter(1, background, -1.0).argmax(-1, keepdim=True)
    return parts == choice


def _robust(parts: torch.Tensor, members: torch.Tensor, foreground: torch.Tensor,
            attention: torch.Tensor, cams: torch.Tensor) -> torch.Tensor:
    empty = members.sum(1) == 0
    background = _part_means(members, attention).masked_fill(empty, float('inf')).argmin(
        -1, keepdim=True)
    excluded = empty.scatter(1, background, True)
    iou = _ious(members, foreground)
    use_iou = iou.masked_fill(excluded, 0).amax(-1, keepdim=True) > 0
    score = torch.where(use_iou, iou, _part_means(members, cams))
    choice = score.masked_fill(excluded, -1).argmax(-1, keepdim=True)
    return (parts == choice) & ~excluded.all(-1, keepdim=True)


def _ious(members: torch.Tensor, foreground: torch.Tensor) -> torch.Tensor:
    """(B, P) IoU of each part with the foreground, in float32 as published."""
    intersection = (members * foreground.unsqueeze(-1)).sum(1)
    union = members.sum(1) + foreground.sum(1, keepdim=True) - intersection
    return intersection / (union + IOU_EPS)


def _part_means(members: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(B, P) mean of `values` over each part's patches; NaN for an empty part."""
    return (members * values.unsqueeze(-1)).sum(1) / members.sum(1)


PSEUDO_MASK_RULES: Dict[str, Callable[..., torch.Tensor]] = {
    'published': _published, 'robust': _robust}
"""Rule name -> the function that picks each image's affordance-part patches."""
