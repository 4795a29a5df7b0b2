"""KLD, SIM and NSS exactly as the published AGD20K evaluation computes them, vectorised.

Every function takes a predicted and a ground-truth map of the same shape. The last two axes are
the image; any leading axes are a batch, so a (N, H, W) stack gives N values in one call and a
single H x W map gives one float. The maps are used as given: the evaluation protocol (resizing,
min-max normalising the prediction, dividing the GT by 255) happens in `evaluation`.

Constant maps:
    - a constant non-zero prediction becomes uniform under the sum normalisation of KLD and
      SIM; an all-zero one stays zero (it is divided by 1e-12), as published. Its NSS is 0.0:
      the z-score is taken as 0 everywhere, where the published NSS divides by a zero standard
      deviation and returns NaN. (The evaluation's min-max step turns a constant map into
      zeros, so this is the case of a model that outputs a flat map.)
    - a ground truth with no pixel whose min-max value exceeds 0.1 (a constant GT) has no
      fixations; NSS is then NaN, as published. KLD and SIM of an all-zero GT are 0.
"""
from typing import Dict, Union

import numpy as np

EPS = 1e-12
NSS_THRESHOLD = 0.1
"""Pixels whose min-max normalised GT value exceeds this are the NSS fixations."""
AXES = (-2, -1)

Value = Union[float, np.ndarray]


def _check(pred: np.ndarray, gt: np.ndarray):
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if pred.shape != gt.shape or pred.ndim < 2:
        raise ValueError(f'pred and gt must be maps of one shape (..., H, W); got pred '
                         f'{pred.shape} and gt {gt.shape}')
    return pred, gt


def _sum_normalise(x: np.ndarray) -> np.ndarray:
    return x / (x.sum(axis=AXES, keepdims=True) + EPS)


def _kld(p: np.ndarray, g: np.ndarray) -> Value:
    ratio = p + EPS  # g * log(g / (p + EPS) + EPS) in one buffer, in the published order
    np.divide(g, ratio, out=ratio)
    ratio += EPS
    np.log(ratio, out=ratio)
    ratio *= g
    return ratio.sum(axis=AXES)[()]


def _sim(p: np.ndarray, g: np.ndarray) -> Value:
    return np.minimum(p, g).sum(axis=AXES)[()]


def kld(pred: np.ndarray, gt: np.ndarray) -> Value:
    """KL divergence of the GT from the prediction, both divided by their sums (+1e-12).

    KLD = sum g * log(g / (p + 1e-12) + 1e-12); lower is better.
    """
    pred, gt = _check(pred, gt)
    return _kld(_sum_normalise(pred), _sum_normalise(gt))


def sim(pred: np.ndarray, gt: np.ndarray) -> Value:
    """Histogram intersection sum min(p, g) of the sum-normalised maps; higher is better."""
    pred, gt = _check(pred, gt)
    return _sim(_sum_normalise(pred), _sum_normalise(gt))


def nss(pred: np.ndarray, gt: np.ndarray) -> Value:
    """Normalised scanpath saliency; higher is better.

    The mean, over pixels where the min-max normalised GT exceeds 0.1, of the prediction's
    z-score (population standard deviation). The published code first divides both maps by
    255, which changes neither the z-score nor the fixations beyond float rounding. The z-score
    is summed as sum(pred - mean) / std over the fixations, equal up to float rounding.
    """
    pred, gt = _check(pred, gt)
    centred = pred - pred.mean(axis=AXES, keepdims=True)
    pixels = centred.shape[-2] * centred.shape[-1]
    std = np.sqrt(np.einsum('...ij,...ij->...', centred, centred) / pixels)
    low = gt.min(axis=AXES, keepdims=True)
    span = gt.max(axis=AXES, keepdims=True) - low
    fixations = ((gt - low) / (span + EPS) > NSS_THRESHOLD).astype(np.float64)
    count = fixations.sum(axis=AXES)
    total = np.einsum('...ij,...ij->...', centred, fixations) / np.where(std > 0, std, 1.0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)[()]


def all_metrics(pred: np.ndarray, gt: np.ndarray) -> Dict[str, np.ndarray]:
    """{'KLD', 'SIM', 'NSS'} of a batch of (N, H, W) maps, each an array of N values."""
    pred, gt = _check(pred, gt)
    if pred.ndim != 3:
        raise ValueError(f'all_metrics takes (N, H, W) batches; got shape {pred.shape}')
    p, g = _sum_normalise(pred), _sum_normalise(gt)
    return {'KLD': _kld(p, g), 'SIM': _sim(p, g), 'NSS': nss(pred, gt)}
