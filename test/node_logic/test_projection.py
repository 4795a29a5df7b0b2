"""Back-projection against a hand computation; median depth window; depth time matching."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from looptrans_core.peaks import Peak
from looptrans_ros.depth_sync import depth_in_metres
from looptrans_ros.projection import back_project, Intrinsics, median_depth, peak_positions, \
    transform_points

K = [500.0, 0.0, 320.0, 0.0, 400.0, 240.0, 0.0, 0.0, 1.0]


def test_back_projection_by_hand():
    intrinsics = Intrinsics.from_k(K)
    # u = 420: (420 - 320) * 2 / 500 = 0.4; v = 140: (140 - 240) * 2 / 400 = -0.5.
    assert back_project(420.0, 140.0, 2.0, intrinsics) == pytest.approx((0.4, -0.5, 2.0))


def test_median_skips_zero_and_nan_and_handles_borders():
    depth = np.zeros((10, 10), np.float32)
    depth[3:8, 3:8] = [[1.0, 1.1, np.nan, 1.2, 0.0]] * 5
    assert median_depth(depth, 5, 5) == pytest.approx(1.1)
    assert median_depth(depth, 0, 0) is None
    assert median_depth(depth, 50, 5) is None


@settings(max_examples=200, deadline=None)
@given(shape=st.tuples(st.integers(1, 7), st.integers(1, 7)), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_median_is_numpys_median_of_the_valid_depths(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    depth = rng.uniform(0.2, 3.0, shape).astype(dtype)
    depth[rng.random(shape) < 0.3] = 0.0
    depth[rng.random(shape) < 0.1] = np.nan
    valid = depth[np.isfinite(depth) & (depth > 0)]
    found = median_depth(depth, 0, 0, radius=7)  # a window over the whole array
    assert found == (float(np.median(valid)) if valid.size else None)


def test_peak_positions_scale_to_a_smaller_depth_image():
    depth = np.full((240, 320), 1.5, np.float32)
    depth[:, :160] = 0.0
    peaks = [Peak(420.0, 140.0, 0.9), Peak(100.0, 100.0, 0.6)]
    positions = peak_positions(peaks, depth, Intrinsics.from_k(K), (480, 640))
    assert positions[0] == pytest.approx(back_project(420.0, 140.0, 1.5, Intrinsics.from_k(K)))
    assert positions[1] is None


def test_uncalibrated_camera_is_refused():
    with pytest.raises(ValueError, match='positive focal lengths'):
        Intrinsics.from_k([0.0] * 9)


def test_depth_units():
    millimetres = np.array([[1000, 0]], np.uint16)
    assert depth_in_metres(millimetres, '16UC1', 0.001).tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError, match='not a depth encoding'):
        depth_in_metres(millimetres, 'bgr8', 0.001)


def test_transform_points_by_hand():
    # A quarter turn about z, then 1 m along x: (1, 0, 0) -> (0, 1, 0) -> (1, 1, 0).
    matrix = np.array([[0.0, -1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    points = np.array([[1.0, 0, 0], [0, 0, 2]])
    moved = transform_points(points, matrix)
    np.testing.assert_allclose(moved, [[1, 1, 0], [1, 0, 2]])
    assert points.tolist() == [[1.0, 0, 0], [0, 0, 2]]
    assert transform_points(np.zeros((0, 3)), matrix).shape == (0, 3)
    with pytest.raises(ValueError, match='4 x 4'):
        transform_points(points, matrix[:3])
