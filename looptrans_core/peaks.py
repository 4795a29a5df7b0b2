"""Peak picking on heat maps: top-k local maxima with a minimum distance and a threshold."""
from dataclasses import dataclass
from typing import List

import numpy as np
import torch
import torch.nn.functional as F


CANDIDATES_PER_PEAK = 8
"""Local maxima kept per requested peak before the distance pass."""


@dataclass(frozen=True)
class PeakConfig:
    """How interaction points are picked from a heat map.

    Attributes:
        num_peaks: at most this many peaks per map, best first.
        min_distance: peaks are at least this many pixels apart (Chebyshev distance).
        threshold: peaks score at least this (maps are in [0, 1]).
    """

    num_peaks: int = 3
    min_distance: int = 16
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.num_peaks < 0 or self.min_distance < 1 or not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f'invalid peak settings {self}: need num_peaks >= 0, '
                             'min_distance >= 1 and 0 <= threshold <= 1')


@dataclass(frozen=True)
class Peak:
    """One interaction point: pixel column `u`, row `v` of the input image, and its score."""

    u: float
    v: float
    score: float


def peak_candidates(heatmaps: torch.Tensor, config: PeakConfig) -> torch.Tensor:
    """Candidate peaks of (A, H, W) maps: an (A, K, 3) tensor of (u, v, score), best first.

    Candidates are local maxima of a max-pool window of radius `min_distance` that reach the
    threshold; other slots hold score -1. Runs on the maps' device, so only this small tensor
    needs copying to the host, where `select_peaks` enforces the minimum distance.
    """
    num_maps, height, width = heatmaps.shape
    radius = config.min_distance
    pooled = F.max_pool2d(heatmaps.unsqueeze(1), 2 * radius + 1, stride=1, padding=radius)[:, 0]
    keep = (heatmaps >= pooled) & (heatmaps >= config.threshold)
    candidates = torch.where(keep, heatmaps, torch.full_like(heatmaps, -1.0))
    count = min(height * width, CANDIDATES_PER_PEAK * max(config.num_peaks, 1))
    scores, flat_index = candidates.flatten(1).topk(count, dim=1)
    rows = torch.div(flat_index, width, rounding_mode='floor')
    cols = flat_index - rows * width
    return torch.stack([cols.to(scores.dtype), rows.to(scores.dtype), scores], dim=-1)


def select_peaks(candidates: np.ndarray, config: PeakConfig) -> List[List[Peak]]:
    """Greedily keep the best candidates at least `min_distance` apart, per map.

    A plateau gives several equal local maxima side by side; this pass keeps one of them.
    """
    selected = []
    for rows in candidates.tolist():
        kept: List[Peak] = []
        for u, v, score in rows:
            if score < 0 or len(kept) == config.num_peaks:
                break
            if all(max(abs(u - p.u), abs(v - p.v)) >= config.min_distance for p in kept):
                kept.append(Peak(u, v, score))
        selected.append(kept)
    return selected
