"""Peak picking on heat maps: top-k local maxima with a minimum distance and a threshold."""
import bisect
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from looptrans_core.postprocess import critical_samples, sample_maps

CANDIDATES_PER_PEAK = 8
"""Local maxima kept per requested peak before the distance pass."""


def peak_settings_error(num_peaks: int = 3, min_distance: int = 16,
                        threshold: float = 0.5) -> Optional[str]:
    """Why these peak settings are refused, or None: the one rule for PeakConfig and the node."""
    problems = [text for bad, text in (
        (num_peaks < 0, f'num_peaks {num_peaks} is below 0'),
        (min_distance < 1, f'min_distance {min_distance} is below 1 pixel'),
        (not 0.0 <= threshold <= 1.0, f'threshold {threshold} is outside [0, 1]')) if bad]
    return '; '.join(problems) or None


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
        reason = peak_settings_error(self.num_peaks, self.min_distance, self.threshold)
        if reason:
            raise ValueError(f'invalid peak settings {self}: {reason}')


@dataclass(frozen=True)
class Peak:
    """One interaction point: pixel column `u`, row `v` of the input image, and its score."""

    u: float
    v: float
    score: float


def peak_candidates(heatmaps: torch.Tensor, config: PeakConfig) -> torch.Tensor:
    """Candidate peaks of (A, H, W) maps: an (A, K, 3) tensor of (u, v, score), best first.

    Candidates are local maxima of a max-pool window of radius `min_distance` that reach the
    threshold; other slots hold score -1; scores are clipped to 1, as heat maps are. Runs on
    the maps' device, so only this small tensor needs copying to the host, where
    `select_peaks` enforces the minimum distance.
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
    return torch.stack([cols.to(scores.dtype), rows.to(scores.dtype), scores.clamp_max(1.0)],
                       dim=-1)


def grid_peak_candidates(grids: np.ndarray, size: Tuple[int, int],
                         config: PeakConfig) -> np.ndarray:
    """`peak_candidates` of the bilinear resize of (A, r, c) grid maps to `size`, exactly.

    A resized grid map is linear between nodes along each axis, so its local maxima sit on the
    samples beside a node and the maximum over any window lies on those samples or on the
    window's edges: evaluating only there gives the full-resolution result for a few thousand
    samples per map. A clamped border band yields its inner end once instead of many ties.
    Returns (A, K, 3) float32 (u, v, score), best first, score -1 in unused slots; scores are
    clipped to 1 like the heat maps (float rounding can reach 1 + 1e-7).
    """
    radius = config.min_distance
    rows = critical_samples(size[0], grids.shape[-2])
    cols = critical_samples(size[1], grids.shape[-1])
    all_rows = _with_window_edges(rows, radius, size[0])
    all_cols = _with_window_edges(cols, radius, size[1])
    values = sample_maps(grids, all_rows, all_cols, size)
    pooled = _window_max(_window_max(values, all_rows, rows, radius, axis=1),
                         all_cols, cols, radius, axis=2)
    centre = values[:, np.searchsorted(all_rows, rows)][:, :, np.searchsorted(all_cols, cols)]
    keep = (centre >= pooled) & (centre >= config.threshold)
    scores = np.where(keep, centre, np.float32(-1.0)).reshape(len(grids), -1)
    count = min(scores.shape[1], CANDIDATES_PER_PEAK * max(config.num_peaks, 1))
    order = np.argsort(-scores, axis=1, kind='stable')[:, :count]
    row_of = np.asarray(rows, np.float32)[order // len(cols)]
    col_of = np.asarray(cols, np.float32)[order % len(cols)]
    best = np.minimum(np.take_along_axis(scores, order, 1), np.float32(1.0))
    return np.stack([col_of, row_of, best], axis=-1)


def _with_window_edges(samples: Sequence[int], radius: int, size: int) -> List[int]:
    edges = {min(max(s + d, 0), size - 1) for s in samples for d in (-radius, radius)}
    return sorted(set(samples) | edges)


def _window_max(values: np.ndarray, positions: List[int], centres: Sequence[int], radius: int,
                axis: int) -> np.ndarray:
    """Max of `values` along `axis` (at sorted `positions`) within `radius` of each centre.

    A window holds a few consecutive positions, so the max is taken as an elementwise maximum
    over the window's k-th position for each k (a short window repeats its last one): numpy
    reduces a tiny inner axis, or `reduceat` along an outer one, several times slower.
    """
    bounds = [(bisect.bisect_left(positions, c - radius),
               bisect.bisect_right(positions, c + radius)) for c in centres]
    result = None
    for offset in range(max(high - low for low, high in bounds)):
        part = values.take([min(low + offset, high - 1) for low, high in bounds], axis=axis)
        result = part if result is None else np.maximum(result, part, out=result)
    return result


def select_peaks(candidates: np.ndarray, config: PeakConfig) -> List[List[Peak]]:
    """Greedily keep the best candidates at least `min_distance` apart, per map.

    A plateau gives several equal local maxima side by side; this pass keeps one of them. Two
    points are closer than `min_distance` (Chebyshev) when both coordinate differences are; the
    loop is spelled out because it runs for every map of every frame.
    """
    distance = config.min_distance
    selected = []
    for rows in candidates.tolist():
        kept: List[Tuple[float, float, float]] = []
        for u, v, score in rows:
            if score < 0 or len(kept) == config.num_peaks:
                break
            for kept_u, kept_v, _ in kept:
                if abs(u - kept_u) < distance and abs(v - kept_v) < distance:
                    break
            else:
                kept.append((u, v, score))
        selected.append([Peak(u, v, score) for u, v, score in kept])
    return selected
