"""Approach poses: plane fits on depth rendered from known planes; the rules that refuse one."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from looptrans_ros.approach import Approach, fit_approach
from looptrans_ros.projection import back_project, Intrinsics, transform_points
from looptrans_ros.rotations import homogeneous, matrix_from_quaternion

INTRINSICS = Intrinsics(500.0, 480.0, 159.5, 119.5)
SIZE = (240, 320)


def plane_depth(normal, distance: float, size=SIZE, intrinsics=INTRINSICS) -> np.ndarray:
    """Return the depth (z) of the plane normal . p = distance, 0 where it is not seen."""
    rows, cols = np.mgrid[0:size[0], 0:size[1]].astype(np.float64)
    rays = np.stack([(cols * SIZE[1] / size[1] - intrinsics.cx) / intrinsics.fx,
                     (rows * SIZE[0] / size[0] - intrinsics.cy) / intrinsics.fy,
                     np.ones(size)], axis=-1)
    along = rays @ np.asarray(normal, dtype=np.float64)
    with np.errstate(divide='ignore'):
        depth = distance / along
    return np.where(depth > 0, depth, 0.0)


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def tilted(tilt_deg: float, azimuth_deg: float) -> np.ndarray:
    """Return the unit normal `tilt_deg` away from the optical axis (+z), towards `azimuth_deg`."""
    tilt, azimuth = np.radians(tilt_deg), np.radians(azimuth_deg)
    return np.array([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth),
                     np.cos(tilt)])


@settings(max_examples=60, deadline=None)
@given(tilt=st.floats(0, 55), azimuth=st.floats(0, 360), distance=st.floats(0.3, 3.0),
       u=st.floats(20, 300), v=st.floats(20, 220))
def test_normal_of_a_plane_is_found_and_points_away_from_the_camera(
        tilt, azimuth, distance, u, v):
    normal = tilted(tilt, azimuth)
    depth = plane_depth(normal, distance)
    approach = fit_approach(depth, u, v, INTRINSICS, SIZE)
    assert approach is not None
    np.testing.assert_allclose(approach.z_axis, normal, atol=1e-6)
    assert approach.z_axis @ approach.position > 0
    # The position is the peak's back-projected point (a plane: the median depth is exact
    # up to rounding the peak to a depth pixel).
    assert abs(normal @ approach.position - distance) < 0.02 * distance


def test_axes_are_a_right_handed_frame_with_x_along_the_image_u_direction():
    approach = fit_approach(plane_depth(tilted(30, 60), 1.0), 100.0, 80.0, INTRINSICS, SIZE)
    rotation = approach.rotation()
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-9)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    expected_x = unit(np.array([1.0, 0, 0]) - approach.z_axis[0] * approach.z_axis)
    np.testing.assert_allclose(approach.x_axis, expected_x, atol=1e-9)
    np.testing.assert_allclose(matrix_from_quaternion(approach.quaternion()), rotation,
                               atol=1e-9)


def test_position_follows_the_peak_position_rule():
    depth = np.full(SIZE, 1.25)
    approach = fit_approach(depth, 200.0, 50.0, INTRINSICS, SIZE)
    np.testing.assert_allclose(approach.position, back_project(200.0, 50.0, 1.25, INTRINSICS))
    np.testing.assert_allclose(approach.z_axis, [0, 0, 1], atol=1e-9)
    np.testing.assert_allclose(approach.x_axis, [1, 0, 0], atol=1e-9)


def test_a_smaller_depth_image_gives_the_same_normal():
    normal = tilted(40, 200)
    half = plane_depth(normal, 1.5, size=(120, 160))
    approach = fit_approach(half, 160.0, 120.0, INTRINSICS, SIZE)
    np.testing.assert_allclose(approach.z_axis, normal, atol=1e-6)


def test_background_past_an_object_edge_is_left_out_of_the_fit():
    normal = tilted(35, 90)
    depth = plane_depth(normal, 0.8)
    depth[:, 164:] = 2.5  # a wall far behind, 4 pixels right of the peak
    approach = fit_approach(depth, 160.0, 120.0, INTRINSICS, SIZE)
    np.testing.assert_allclose(approach.z_axis, normal, atol=1e-6)


def test_a_second_surface_a_little_behind_is_left_out_of_the_fit():
    # A face 2 cm in front of a differently tilted one, 4 pixels right of the peak: within any
    # depth gate, but not on the peak's plane.
    face, behind = tilted(30, 90), tilted(20, 300)
    depth = plane_depth(face, 0.8)
    depth[:, 164:] = plane_depth(behind, 0.8)[:, 164:]
    depth[:, 164:] += 0.02 - depth[120, 164] + plane_depth(face, 0.8)[120, 164]
    approach = fit_approach(depth, 160.0, 120.0, INTRINSICS, SIZE)
    np.testing.assert_allclose(approach.z_axis, face, atol=1e-6)


def test_no_approach_without_depth_or_with_too_few_points():
    depth = np.zeros(SIZE)
    assert fit_approach(depth, 100.0, 100.0, INTRINSICS, SIZE) is None
    depth[98:101, 98:101] = 1.0  # 9 points: a position, but below the least number to fit
    assert fit_approach(depth, 99.0, 99.0, INTRINSICS, SIZE) is None
    depth[96:104, 96:104] = 1.0
    assert fit_approach(depth, 99.0, 99.0, INTRINSICS, SIZE) is not None
    assert fit_approach(depth, -5.0, 99.0, INTRINSICS, SIZE) is None


def test_points_along_a_line_are_degenerate():
    depth = np.zeros(SIZE)
    depth[100, :] = 1.0
    assert fit_approach(depth, 100.0, 100.0, INTRINSICS, SIZE) is None
    depth[98:103, :] = 1.0  # 5 x 15 points span a plane
    assert fit_approach(depth, 100.0, 100.0, INTRINSICS, SIZE) is not None


def test_a_plane_seen_edge_on_has_no_approach():
    # A plane through the viewing ray of the peak (normal perpendicular to that ray), its
    # depths noisy as a real sensor's: the fit cannot say which side faces the camera.
    ray = unit([(100.0 - INTRINSICS.cx) / INTRINSICS.fx, 0.0, 1.0])
    normal = unit(np.cross(ray, [0.0, 1.0, 0.0]))
    rng = np.random.default_rng(0)
    depth = plane_depth(normal, 0.0005) * (1 + rng.normal(0, 0.01, SIZE))
    assert fit_approach(depth, 100.0, 119.5, INTRINSICS, SIZE) is None


def test_a_normal_along_the_image_u_direction_has_no_x_axis():
    # At the image's left edge a plane facing +x is seen at 32 degrees: posed, but the image's
    # u direction is its normal, so there is no x axis in it.
    intrinsics = Intrinsics(200.0, 200.0, 159.5, 119.5)
    depth = plane_depth([1.0, 0.0, 0.0], -0.5, intrinsics=intrinsics)
    assert fit_approach(depth, 160.0, 120.0, intrinsics, SIZE) is None  # edge-on at the centre
    assert fit_approach(depth, 0.0, 120.0, intrinsics, SIZE) is None


@settings(max_examples=40, deadline=None)
@given(angles=st.tuples(*[st.floats(-np.pi, np.pi)] * 3),
       shift=st.tuples(*[st.floats(-2, 2)] * 3))
def test_transformed_moves_the_position_and_turns_the_axes(angles, shift):
    approach = fit_approach(plane_depth(tilted(20, 10), 1.0), 150.0, 100.0, INTRINSICS, SIZE)
    rotation = rotation_of(*angles)
    matrix = homogeneous(rotation, shift)
    moved = approach.transformed(matrix)
    np.testing.assert_allclose(moved.position,
                               transform_points(approach.position[None], matrix)[0])
    np.testing.assert_allclose(moved.rotation(), rotation @ approach.rotation(), atol=1e-9)
    np.testing.assert_allclose(moved.matrix(), matrix @ approach.matrix(), atol=1e-9)
    assert isinstance(moved, Approach)


def rotation_of(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Return Rz(yaw) Ry(pitch) Rx(roll)."""
    cr, sr, cp, sp, cy, sy = (np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch),
                              np.cos(yaw), np.sin(yaw))
    return (np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
            @ np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
            @ np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]]))


def test_transformed_refuses_a_matrix_that_is_not_4_by_4():
    approach = Approach(np.zeros(3), np.array([0.0, 0, 1]), np.array([1.0, 0, 0]))
    with pytest.raises(ValueError, match='4 x 4'):
        approach.transformed(np.eye(3))
