"""Peak picking: local maxima, best first, at least min_distance apart, above the threshold."""
import numpy as np
import pytest
import torch

from looptrans_core.peaks import peak_candidates, PeakConfig, select_peaks


def _bumps(centres, heights, size=(60, 80), sigma=4.0):
    rows, cols = np.mgrid[:size[0], :size[1]]
    heat = np.zeros(size, np.float32)
    for (u, v), height in zip(centres, heights):
        heat += height * np.exp(-((cols - u) ** 2 + (rows - v) ** 2) / (2 * sigma ** 2))
    return torch.from_numpy(heat / heat.max())[None]


def _peaks(heat, config):
    return select_peaks(peak_candidates(heat, config).numpy(), config)[0]


def test_finds_bumps_best_first():
    heat = _bumps([(20, 15), (60, 40), (10, 50)], [1.0, 0.8, 0.6])
    peaks = _peaks(heat, PeakConfig(num_peaks=3, min_distance=5, threshold=0.1))
    assert [(p.u, p.v) for p in peaks] == [(20, 15), (60, 40), (10, 50)]
    assert peaks[0].score == pytest.approx(1.0)
    assert peaks[0].score > peaks[1].score > peaks[2].score


def test_threshold_drops_weak_peaks():
    heat = _bumps([(20, 15), (60, 40)], [1.0, 0.3])
    peaks = _peaks(heat, PeakConfig(num_peaks=3, min_distance=5, threshold=0.5))
    assert [(p.u, p.v) for p in peaks] == [(20, 15)]


def test_peaks_closer_than_min_distance_keep_only_the_best():
    heat = _bumps([(20, 20), (28, 20)], [1.0, 0.9], sigma=2.0)
    near = _peaks(heat, PeakConfig(num_peaks=2, min_distance=10, threshold=0.1))
    assert [(p.u, p.v) for p in near] == [(20, 20)]
    apart = _peaks(heat, PeakConfig(num_peaks=2, min_distance=5, threshold=0.1))
    assert [(p.u, p.v) for p in apart] == [(20, 20), (28, 20)]


def test_plateau_gives_one_peak():
    heat = torch.zeros(1, 30, 30)
    heat[0, 10:14, 10:14] = 1.0
    peaks = _peaks(heat, PeakConfig(num_peaks=3, min_distance=6, threshold=0.5))
    assert len(peaks) == 1 and 10 <= peaks[0].u <= 13 and 10 <= peaks[0].v <= 13


@pytest.mark.parametrize('kwargs', [{'num_peaks': -1}, {'min_distance': 0}, {'threshold': 1.5}])
def test_invalid_settings_fail_clearly(kwargs):
    with pytest.raises(ValueError, match='invalid peak settings'):
        PeakConfig(**kwargs)
