"""Evaluation speed: our vectorised metrics against the published per-pixel-loop NSS."""
from typing import Dict

import numpy as np

from bench.timing import median_ms
from looptrans_core.metrics import all_metrics, nss


def published_loop_nss(pred: np.ndarray, gt: np.ndarray) -> float:
    """Compute NSS as the published `cal_nss` does, with its per-pixel loop."""
    pred, gt = pred / 255.0, gt / 255.0
    smap = (pred - np.mean(pred)) / np.std(pred)
    fixation = (gt - np.min(gt)) / (np.max(gt) - np.min(gt) + 1e-12)
    binary = np.zeros(fixation.size).reshape(fixation.shape)
    for row in range(fixation.shape[0]):
        for col in range(fixation.shape[1]):
            if fixation[row][col] > 0.1:
                binary[row][col] = 1
    return float(np.sum(smap * binary) / np.sum(binary + 1e-12))


def metrics_speed(size: int = 224, repeats: int = 3) -> Dict[str, float]:
    """Per-image ms of our KLD+SIM+NSS, our NSS and the published loop NSS (size x size)."""
    rng = np.random.default_rng(0)
    pred = rng.random((1, size, size))
    gt = rng.random((1, size, size)) * 255
    ours = median_ms(lambda: all_metrics(pred, gt), repeats * 5)
    loop = median_ms(lambda: published_loop_nss(pred[0], gt[0]), repeats)
    assert abs(published_loop_nss(pred[0], gt[0]) - float(all_metrics(pred, gt)['NSS'][0])) < 1e-6
    nss_only = median_ms(lambda: nss(pred, gt), repeats * 5)
    return {'metrics_ms': ours, 'nss_ms': nss_only, 'baseline_loop_nss_ms': loop,
            'metrics_speedup': loop / ours, 'nss_speedup': loop / nss_only}
