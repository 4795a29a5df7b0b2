"""The affordance cloud: hot pixels with valid depth, every stride-th, against a plain loop."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from looptrans_ros.heat_cloud import heat_cloud
from looptrans_ros.projection import back_project, Intrinsics

INTRINSICS = Intrinsics(100.0, 90.0, 15.5, 11.5)


def looped_cloud(heat, depth, threshold, stride):
    """Return the cloud by its definition, one pixel at a time."""
    rows = []
    for v in range(0, heat.shape[0], stride):
        for u in range(0, heat.shape[1], stride):
            row = int(round(v * depth.shape[0] / heat.shape[0]))
            col = int(round(u * depth.shape[1] / heat.shape[1]))
            if row >= depth.shape[0] or col >= depth.shape[1]:
                continue
            z = depth[row, col]
            if heat[v, u] >= threshold and np.isfinite(z) and z > 0:
                rows.append([*back_project(u, v, float(z), INTRINSICS), heat[v, u]])
    return np.array(rows, np.float32).reshape(-1, 4)


def test_cloud_by_hand():
    heat = np.zeros((4, 6), np.float32)
    heat[2, 4] = 0.9
    heat[2, 2] = 0.5
    heat[1, 1] = 0.99  # an odd pixel: not sampled at stride 2
    heat[0, 0] = 0.7  # no depth there
    depth = np.full((4, 6), 2.0, np.float32)
    depth[0, 0] = np.nan
    cloud = heat_cloud(heat, depth, INTRINSICS, threshold=0.5, stride=2)
    assert cloud.dtype == np.float32 and cloud.shape == (2, 4)
    np.testing.assert_allclose(cloud[0], [(2 - 15.5) * 2 / 100, (2 - 11.5) * 2 / 90, 2.0, 0.5])
    np.testing.assert_allclose(cloud[1], [(4 - 15.5) * 2 / 100, (2 - 11.5) * 2 / 90, 2.0, 0.9])
    assert heat[2, 4] == 0.9 and np.isnan(depth[0, 0])  # inputs untouched


@settings(max_examples=80, deadline=None)
@given(height=st.integers(1, 24), width=st.integers(1, 32), stride=st.integers(1, 5),
       threshold=st.floats(0, 1), depth_scale=st.sampled_from([0.5, 1.0, 2.0]),
       seed=st.integers(0, 2 ** 16))
def test_cloud_equals_the_pixel_by_pixel_definition(
        height, width, stride, threshold, depth_scale, seed):
    rng = np.random.default_rng(seed)
    heat = rng.random((height, width)).astype(np.float32)
    depth_size = (max(1, round(height * depth_scale)), max(1, round(width * depth_scale)))
    depth = rng.uniform(0.2, 3.0, depth_size).astype(np.float32)
    depth[rng.random(depth_size) < 0.2] = 0.0
    depth[rng.random(depth_size) < 0.1] = np.nan
    cloud = heat_cloud(heat, depth, INTRINSICS, threshold, stride)
    np.testing.assert_allclose(cloud, looped_cloud(heat, depth, threshold, stride), rtol=1e-6)
    assert (cloud[:, 3] >= threshold).all()


def test_stride_below_one_is_refused():
    with pytest.raises(ValueError, match='stride'):
        heat_cloud(np.ones((4, 4)), np.ones((4, 4)), INTRINSICS, 0.5, 0)
