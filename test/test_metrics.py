"""KLD, SIM and NSS against hand-computed values and the published per-pixel NSS."""
import math

import numpy as np
import pytest

from looptrans_core.metrics import all_metrics, kld, nss, sim


def published_nss(pred: np.ndarray, gt: np.ndarray) -> float:
    """Compute NSS as the published cal_nss does, per-pixel binarisation loop and all."""
    pred, gt = pred / 255.0, gt / 255.0
    smap = (pred - np.mean(pred)) / np.std(pred)
    fixation = (gt - np.min(gt)) / (np.max(gt) - np.min(gt) + 1e-12)
    binary = np.zeros(fixation.shape)
    for row in range(fixation.shape[0]):
        for col in range(fixation.shape[1]):
            if fixation[row, col] > 0.1:
                binary[row, col] = 1
    return np.sum(smap * binary) / np.sum(binary)


PRED = np.array([[1.0, 0.0], [0.0, 1.0]])
GT = np.array([[1.0, 0.0], [0.0, 0.0]])


def test_hand_computed_values():
    # p = [.5, 0, 0, .5], g = [1, 0, 0, 0]: KLD = 1 * log(1 / .5) = log 2, SIM = min(.5, 1).
    assert kld(PRED, GT) == pytest.approx(math.log(2), abs=1e-9)
    assert sim(PRED, GT) == pytest.approx(0.5)
    # pred mean .5, population std .5: z = [1, -1, -1, 1]; the only fixation is (0, 0).
    assert nss(PRED, GT) == pytest.approx(1.0)


def test_identical_and_disjoint_maps():
    peak = np.array([[0.0, 2.0], [0.0, 2.0]])
    assert kld(peak, peak) == pytest.approx(0.0, abs=1e-9)
    assert sim(peak, peak) == pytest.approx(1.0)
    other = peak[:, ::-1]
    assert sim(peak, other) == pytest.approx(0.0)
    # all GT mass (g = .5 on two pixels) where p = 0: KLD = 2 * .5 * log(.5 / 1e-12 + 1e-12).
    assert kld(other, peak) == pytest.approx(math.log(0.5e12), rel=1e-9)


def test_nss_on_a_three_level_map():
    pred = np.array([[3.0, 0.0, 0.0]])
    gt = np.array([[0.0, 0.05, 1.0]])  # min-max .05 is below .1: one fixation, at column 2
    z_third = (0.0 - 1.0) / math.sqrt(2.0)  # mean 1, population std sqrt(2)
    assert nss(pred, gt) == pytest.approx(z_third)


def test_constant_maps():
    gt = np.array([[0.0, 1.0], [0.5, 0.0]])
    assert nss(np.full((2, 2), 0.3), gt) == 0.0
    assert math.isnan(nss(PRED, np.full((2, 2), 0.7)))
    assert sim(np.zeros((2, 2)), gt) == 0.0
    assert kld(np.ones((2, 2)), np.zeros((2, 2))) == 0.0


def test_vectorised_nss_equals_published_loop(rng):
    pred = rng.random((5, 24, 24)) * 255
    gt = rng.random((5, 24, 24)) ** 3 * 255
    expected = [published_nss(p, g) for p, g in zip(pred, gt)]
    np.testing.assert_allclose(nss(pred, gt), expected, rtol=1e-10)
    for p, g, value in zip(pred, gt, expected):
        assert nss(p, g) == pytest.approx(value, rel=1e-10)


def test_batch_equals_per_image(rng):
    pred, gt = rng.random((4, 8, 8)), rng.random((4, 8, 8))
    batch = all_metrics(pred, gt)
    for name, fn in (('KLD', kld), ('SIM', sim), ('NSS', nss)):
        assert batch[name].shape == (4,)
        np.testing.assert_allclose(batch[name], [fn(p, g) for p, g in zip(pred, gt)])


def test_shape_errors():
    with pytest.raises(ValueError, match=r'pred \(2, 2\) and gt \(3, 3\)'):
        kld(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match='N, H, W'):
        all_metrics(np.zeros((2, 2)), np.zeros((2, 2)))
