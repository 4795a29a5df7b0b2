"""The fast inference path gives the reference results: heat maps, peaks, precisions, options."""
import numpy as np
import pytest
import torch

from looptrans_core import speedups
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
import looptrans_core.peaks as peaks_module
from looptrans_core.peaks import grid_peak_candidates, peak_candidates, PeakConfig, select_peaks
from looptrans_core.postprocess import maps_to_host, resize_on_host, upsample_maps
from model_factory import make_tiny_model

SIZES = [(480, 640), (90, 130), (37, 301), (14, 14), (9, 11)]


def _raw(seed, maps=6):
    return torch.randn(1, maps, 14, 14, generator=torch.Generator().manual_seed(seed)) * 3


@pytest.mark.parametrize('size', SIZES)
def test_heatmaps_equal_the_full_resolution_reference(size):
    raw = _raw(1)
    heat, grids, raw_host, host_size = maps_to_host(raw, [size])[0]
    assert heat is None and host_size == size, 'on CPU heat maps are made on demand'
    heat = resize_on_host(grids, size)
    reference = upsample_maps(raw[0], size).numpy()
    assert heat.shape == (6, *size) and heat.dtype == np.float32
    np.testing.assert_allclose(heat, reference, atol=2e-6)
    assert heat.min() == 0.0 and heat.max() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_array_equal(raw_host, raw[0].numpy())


def test_constant_map_gives_zeros():
    raw = torch.full((1, 2, 14, 14), 3.0)
    _, grids, _, size = maps_to_host(raw, [(50, 60)])[0]
    assert not resize_on_host(grids, size).any()


def _band(position, node_position):
    """Which clamped border band a coordinate lies in (-1 before the first node, 1 after)."""
    return -1 if position <= node_position[0] else (1 if position >= node_position[1] else 0)


@pytest.mark.parametrize('size', [(120, 160), (150, 100), (60, 80)])
def test_grid_peaks_equal_full_resolution_peaks(size, monkeypatch):
    # The reference keeps every local maximum, so ties on a border band cannot crowd out real
    # peaks; a band is narrower than min_distance, so it gives the reference one peak too.
    monkeypatch.setattr(peaks_module, 'CANDIDATES_PER_PEAK', 10 ** 6)
    config = PeakConfig(num_peaks=4, min_distance=max(size) // 14 + 2, threshold=0.2)
    raw = _raw(2, maps=24)
    _, grids, _, _ = maps_to_host(raw, [size])[0]
    heat = resize_on_host(grids, size)
    reference = select_peaks(peak_candidates(torch.from_numpy(heat), config).numpy(), config)
    monkeypatch.undo()
    ours = select_peaks(grid_peak_candidates(grids, size, config), config)
    first = [(0.5 * s / 14 - 0.5, s - 1 - (0.5 * s / 14 - 0.5)) for s in size]
    for expected, got in zip(reference, ours):
        assert len(got) == len(expected)
        for a, b in zip(expected, got):
            assert b.score == pytest.approx(a.score, abs=1e-5)
            for axis, (pa, pb) in enumerate(((a.v, b.v), (a.u, b.u))):
                same_band = _band(pa, first[axis]) == _band(pb, first[axis]) != 0
                assert abs(pa - pb) <= 1 or same_band


def test_grounder_peaks_score_their_heatmap(tiny_grounder, rng):
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    for result in tiny_grounder.ground(image, list(SEEN_AFFORDANCES[:8])).values():
        for peak in result.peaks:
            assert result.heatmap[int(peak.v), int(peak.u)] == pytest.approx(peak.score, abs=1e-5)


def _maps(grounder, image):
    return np.stack([r.heatmap for r in grounder.ground(image).values()])


@pytest.fixture(scope='module')
def image():
    return np.random.default_rng(3).integers(0, 256, (96, 128, 3), dtype=np.uint8)


def test_bf16_autocast_stays_within_1e_2_of_fp32(image):
    fp32 = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu')
    bf16 = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', precision='bf16')
    assert np.abs(_maps(bf16, image) - _maps(fp32, image)).max() <= 1e-2


def test_torch_backend_refuses_int8_and_names_the_backend_that_runs_it():
    with pytest.raises(ValueError, match="'int8' runs on backend 'openvino'"):
        Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', precision='int8')


def test_channels_last_and_threads_keep_results(image):
    threads = torch.get_num_threads()
    try:
        plain = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu')
        fast = Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', threads=1,
                        channels_last=True)
        assert torch.get_num_threads() == 1
        np.testing.assert_allclose(_maps(fast, image), _maps(plain, image), atol=1e-5)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize('threads', [0, -2, 1.5])
def test_bad_thread_counts_fail_clearly(threads):
    with pytest.raises(ValueError, match='threads must be a positive integer'):
        speedups.set_threads(threads)


def test_compile_falls_back_to_eager(monkeypatch):
    def broken_compile(function, mode):
        def fails(batch):
            raise RuntimeError('no compiler here')
        return fails

    monkeypatch.setattr(torch, 'compile', broken_compile)
    forward = speedups.compiled(lambda batch: batch * 2, 'default')
    assert forward(torch.ones(2)).tolist() == [2.0, 2.0]
    assert forward(torch.ones(1)).tolist() == [2.0]


def test_compile_modes_are_checked():
    assert speedups.compiled(abs, None) is abs
    with pytest.raises(ValueError, match='unknown compile mode'):
        speedups.compiled(abs, 'fastest')


def test_heat_maps_are_made_on_first_access_only(tiny_grounder, rng):
    image = rng.integers(0, 256, (90, 130, 3), dtype=np.uint8)
    results = tiny_grounder.ground(image)
    assert all(result._heatmap is None for result in results.values())
    heatmap = results['cut'].heatmap
    assert heatmap.shape == (90, 130) and results['cut'].heatmap is heatmap
    assert sum(result._heatmap is not None for result in results.values()) == 1
    alone = tiny_grounder.ground(image, ['cut'])['cut'].heatmap
    np.testing.assert_array_equal(heatmap, alone)
