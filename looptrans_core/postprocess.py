"""Heat maps at image resolution, as the published evaluation makes them."""
from typing import Tuple

import torch
import torch.nn.functional as F


def minmax_normalise(maps: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Min-max normalise each map over its last two dims; a constant map becomes zeros."""
    flat = maps.flatten(-2)
    low = flat.min(-1, keepdim=True).values
    span = flat.max(-1, keepdim=True).values - low
    scaled = torch.where(span > eps, (flat - low) / span.clamp_min(eps), torch.zeros_like(flat))
    return scaled.view_as(maps)


def upsample_maps(raw: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bilinear resize (A, rows, cols) raw maps to (A, H, W), then min-max normalise each.

    Half-pixel centres without antialiasing, as `cv2.resize(..., INTER_LINEAR)` upsamples.
    """
    resized = F.interpolate(raw.float().unsqueeze(0), size=size, mode='bilinear',
                            align_corners=False)[0]
    return minmax_normalise(resized)
