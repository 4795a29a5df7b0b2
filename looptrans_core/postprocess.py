"""Heat maps at image resolution, as the published evaluation makes them."""
import functools
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F

ROUNDING = 1e-6
"""Float rounding left by resizing normalised grids; values below it are set to exactly 0."""
Grid = Union[np.ndarray, torch.Tensor]
HostMaps = Tuple[Optional[np.ndarray], np.ndarray, np.ndarray, Tuple[int, int]]
"""Per image: full-size heat maps (None on CPU: made on demand), grids, raw maps, size."""
"""(heat maps (A, H, W) in [0, 1], normalised grid maps (A, r, c), raw grid maps (A, r, c))."""


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
    This is the reference; the Grounder gets the same maps faster from `maps_to_host`.
    """
    resized = F.interpolate(raw.float().unsqueeze(0), size=size, mode='bilinear',
                            align_corners=False)[0]
    return minmax_normalise(resized)


@functools.lru_cache(maxsize=64)
def _weights(out_size: int, in_size: int) -> np.ndarray:
    """(out_size, in_size) matrix of the bilinear resize along one axis, half-pixel centres."""
    src = np.clip((np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5, 0, in_size - 1)
    low = np.floor(src).astype(np.int64)
    weights = np.zeros((out_size, in_size))
    np.add.at(weights, (np.arange(out_size), low), 1.0 - (src - low))
    np.add.at(weights, (np.arange(out_size), np.minimum(low + 1, in_size - 1)), src - low)
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=64)
def critical_samples(out_size: int, in_size: int) -> Tuple[int, ...]:
    """Output samples where a bilinear resize along one axis can peak: those beside a node.

    Between two grid nodes the resized map is linear, so its extrema over any run of samples
    lie at the run's ends or on the samples just before and after a node. A clamped border band
    is constant; it is listed once, by its outer end, whose window reaches least inwards.
    """
    nodes = (np.arange(in_size) + 0.5) * (out_size / in_size) - 0.5
    samples = np.concatenate([np.floor(nodes), np.ceil(nodes)])
    samples = np.where(samples >= nodes[-1], out_size - 1, samples)
    samples = np.where(samples <= nodes[0], 0, samples)
    return tuple(int(s) for s in np.unique(samples))


def sample_maps(raw: Grid, rows: Sequence[int], cols: Sequence[int],
                size: Tuple[int, int]) -> Grid:
    """Values of the bilinear resize of (A, r, c) `raw` to `size`, at `rows` x `cols` only.

    Takes a numpy array (fast for these tiny products on CPU, where multi-threaded BLAS
    stalls on them) or a tensor on any device.
    """
    w_rows = _weights(size[0], raw.shape[-2])[list(rows)]
    w_cols = _weights(size[1], raw.shape[-1])[list(cols)].T
    if isinstance(raw, torch.Tensor):
        w_rows, w_cols = (torch.from_numpy(w).to(raw.device) for w in (w_rows, w_cols))
    return w_rows @ raw @ w_cols


def normalise_raw(raw: torch.Tensor, size: Tuple[int, int], eps: float = 1e-12) -> torch.Tensor:
    """Scale (A, r, c) raw maps so that their bilinear resize to `size` spans exactly [0, 1].

    Resizing is affine-equivariant, so the resize of this result equals `upsample_maps(raw,
    size)` up to float rounding; the extrema come from a few hundred samples, not H x W.
    """
    rows = critical_samples(size[0], raw.shape[-2])
    cols = critical_samples(size[1], raw.shape[-1])
    raw = raw.float()
    on_cpu = raw.device.type == 'cpu'
    samples = sample_maps(raw.numpy() if on_cpu else raw, rows, cols, size)
    samples = (torch.from_numpy(samples) if on_cpu else samples).flatten(1)
    low = samples.min(1).values.view(-1, 1, 1)
    span = samples.max(1).values.view(-1, 1, 1) - low
    # A span within float rounding of the values themselves means a constant map: zeros.
    flat = span <= eps + 1e-6 * samples.abs().amax(1).view(-1, 1, 1)
    scale = torch.where(flat, torch.zeros_like(span), 1.0 / span.clamp_min(eps))
    return (raw - low) * scale


def resize_on_host(grids: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Bilinear resize (OpenCV) of (A, r, c) float32 maps to (A, H, W), clipped to [0, 1].

    Each map goes straight into one preallocated block (numpy backs it with huge pages), several
    times faster than torch on CPU. Values under `ROUNDING` become 0, so that the minimum is
    exactly 0 as with `upsample_maps`.
    """
    out = np.empty((grids.shape[0], *size), np.float32)
    for grid, target in zip(grids, out):
        cv2.resize(grid, (size[1], size[0]), dst=target, interpolation=cv2.INTER_LINEAR)
        cv2.threshold(target, 1.0, 1.0, cv2.THRESH_TRUNC, dst=target)
        cv2.threshold(target, ROUNDING, 0.0, cv2.THRESH_TOZERO, dst=target)
    return out


def maps_to_host(raw: torch.Tensor, sizes: Sequence[Tuple[int, int]]) -> List[HostMaps]:
    """Heat maps, normalised grids and raw grids of (B, A, r, c) `raw` on the host, per image.

    On CPU the full-size heat maps are left to be made on demand (`resize_on_host` of one
    grid), so a caller who reads one map of many pays for one. On another device everything is
    made there and copied once into pinned host memory, reused by the caching host allocator.
    """
    grids = [normalise_raw(raw[b], size) for b, size in enumerate(sizes)]
    if raw.device.type == 'cpu':
        return [(None, grid.numpy(), raw[b].numpy(), tuple(size))
                for b, (grid, size) in enumerate(zip(grids, sizes))]
    parts = []
    for b, (grid, size) in enumerate(zip(grids, sizes)):
        heat = F.interpolate(grid.unsqueeze(0), size=size, mode='bilinear',
                             align_corners=False)[0].clamp_(0.0, 1.0)
        parts += [heat.masked_fill_(heat < ROUNDING, 0.0), grid, raw[b]]
    flat = torch.cat([part.flatten() for part in parts])
    host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
    host.copy_(flat, non_blocking=True)
    torch.cuda.current_stream(raw.device).synchronize()
    views, offset = [], 0
    for part in parts:
        views.append(host[offset:offset + part.numel()].view(part.shape).numpy())
        offset += part.numel()
    return [(*views[i:i + 3], tuple(size)) for i, size in zip(range(0, len(views), 3), sizes)]
