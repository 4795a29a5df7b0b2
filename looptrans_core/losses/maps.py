"""Losses on heat maps: min-max scaling as training does it, Dice, concentration."""
import torch

MINMAX_EPS = 1e-15
"""The published training code divides by (max - min + 1e-15)."""


def minmax_scale(maps: torch.Tensor, eps: float = MINMAX_EPS) -> torch.Tensor:
    """(..., H, W) maps scaled to [0, 1] each, differentiably, as the published training does."""
    flat = maps.flatten(-2)
    low = flat.min(-1, keepdim=True).values
    shifted = flat - low
    return (shifted / (shifted.max(-1, keepdim=True).values + eps)).view_as(maps)


def dice_loss(pred: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Mean over the batch of 1 - Dice between (B, H, W) soft maps and binary masks."""
    pred, target = pred.flatten(1), target.flatten(1)
    intersection = (pred * target).sum(1)
    dice = (2.0 * intersection + smooth) / (pred.sum(1) + target.sum(1) + smooth)
    return (1.0 - dice).mean()


def concentration_loss(maps: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Mean spatial variance of (B, K, H, W) maps around their centroids (SCOPS/LOCATE).

    Each map is min-max scaled (eps 1e-10), offset by `eps` and made a distribution; the
    coordinates run over [-1, 1) in steps of 2 / size, as the published code has them.
    """
    height, width = maps.shape[-2:]
    pdf = minmax_scale(maps, eps=1e-10) + eps
    pdf = pdf / pdf.sum((-2, -1), keepdim=True)
    ys = torch.arange(height, device=maps.device, dtype=pdf.dtype) / height * 2 - 1
    xs = torch.arange(width, device=maps.device, dtype=pdf.dtype) / width * 2 - 1
    y_centre = (pdf.sum(-1) * ys).sum(-1, keepdim=True)
    x_centre = (pdf.sum(-2) * xs).sum(-1, keepdim=True)
    variance_y = (pdf.sum(-1) * (ys - y_centre) ** 2).sum(-1)
    variance_x = (pdf.sum(-2) * (xs - x_centre) ** 2).sum(-1)
    return (variance_x + variance_y).mean()
