"""The synthetic camera's depth and ground truth; the 3D outputs measured against them.

The scene: a flat board (the painted object) standing on a table, seen by a camera at
SIM_CAMERA_POSE. The accuracy checks run the node's own geometry (peak positions, approach
fits, the cloud) on the camera's 16UC1 depth, as the node receives it.
"""
import cv2
import numpy as np
import pytest

from looptrans_core import Peak, render_scene
from looptrans_ros.approach import fit_approach
from looptrans_ros.heat_cloud import heat_cloud
from looptrans_ros.projection import peak_positions, transform_points
from looptrans_ros.rotations import matrix_from_quaternion
from looptrans_ros.synthetic_scenes import SceneSource, SIM_CAMERA_POSE

SIZE = (480, 640)
CAMERA = SIM_CAMERA_POSE.matrix()
EDGE_MARGIN_PX = 4
"""Approach checks keep this far (Euclidean pixels) from the board's outline."""


def scenes(count: int, seed: int = 0):
    """Yield `count` consecutive scenes of a source: (source, geometry, depth in metres)."""
    source = SceneSource(SIZE, seed, frames_per_scene=1)
    for _ in range(count):
        source.next_frame()
        yield source, source.geometry, source.depth_mm() / 1000.0


def in_base(points: np.ndarray) -> np.ndarray:
    return transform_points(points.reshape(-1, 3), CAMERA)


def test_colour_frames_are_the_generators_and_depth_is_aligned_16uc1():
    source = SceneSource(SIZE, seed=3, frames_per_scene=2)
    rng = np.random.default_rng(3)
    for _ in range(2):
        expected, _ = render_scene(rng, SIZE)
        for _ in range(2):
            assert np.array_equal(source.next_frame(), expected)
            depth = source.depth_mm()
            assert depth.dtype == np.uint16 and depth.shape == SIZE and (depth > 0).all()
    np.testing.assert_allclose(depth / 1000.0, source.geometry.depth_m, atol=0.0005)
    with pytest.raises(RuntimeError, match='next_frame'):
        SceneSource(SIZE).depth_mm()


def test_camera_pose_looks_down_at_the_table():
    rotation = CAMERA[:3, :3]
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    ahead, right = rotation[:, 2], rotation[:, 0]
    assert np.degrees(np.arcsin(-ahead[2])) == pytest.approx(50.0)
    np.testing.assert_allclose(right, [0, -1, 0], atol=1e-12)
    assert CAMERA[2, 3] == 0.75
    assert (SIM_CAMERA_POSE.parent_frame, SIM_CAMERA_POSE.child_frame) == (
        'base_link', 'camera_optical_frame')
    np.testing.assert_allclose(matrix_from_quaternion(SIM_CAMERA_POSE.quaternion), rotation,
                               atol=1e-12)
    assert np.linalg.norm(SIM_CAMERA_POSE.quaternion) == pytest.approx(1.0)


@pytest.mark.parametrize('seed', [0, 1])
def test_board_stands_on_the_table_where_the_object_is_painted(seed):
    for source, geometry, _ in scenes(3, seed):
        board = geometry.object_mask
        seen = geometry.points()
        points = in_base(seen).reshape(SIZE + (3,))
        assert np.abs(points[~board][:, 2]).max() < 1e-9  # the table is z = 0
        face = points[board]
        assert np.ptp(face[:, 0]) < 1e-9 and (face[:, 2] >= 0).all()  # upright, on the table
        assert face[:, 2].min() < 0.005  # its foot touches the table
        table_behind = geometry.table.depth(seen / seen[..., 2:])
        assert (geometry.depth_m[board] <= table_behind[board] + 1e-9).all()
        normals = (geometry.normals @ CAMERA[:3, :3].T).reshape(SIZE + (3,))
        np.testing.assert_allclose(normals[~board], [[0, 0, -1]] * int((~board).sum()),
                                   atol=1e-12)
        np.testing.assert_allclose(normals[board], [[1, 0, 0]] * int(board.sum()), atol=1e-12)


def test_distance_to_surface():
    _, geometry, _ = next(scenes(1))
    points = geometry.points()[::16, ::16].reshape(-1, 3)
    assert geometry.distance_to_surface(points).max() < 1e-9
    offsets = np.where(geometry.object_mask[::16, ::16].ravel(), geometry.board.offset,
                       geometry.table.offset)
    # 1 % nearer along its ray, a point stays in its pixel, 1 % of the plane's offset off it.
    np.testing.assert_allclose(geometry.distance_to_surface(0.99 * points), 0.01 * offsets)
    assert np.isnan(geometry.distance_to_surface(np.array([[0, 0, -1.0], [50, 0, 1.0]]))).all()


def face_pixels(geometry, rng, count: int):
    """Pick `count` pixels of the board and `count` of the table, EDGE_MARGIN_PX from the edge."""
    mask = geometry.object_mask.astype(np.uint8)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3) >= EDGE_MARGIN_PX
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3) >= EDGE_MARGIN_PX
    picks = []
    for region in (inside, outside):
        rows, cols = np.nonzero(region)
        chosen = rng.choice(len(rows), size=min(count, len(rows)), replace=False)
        picks += list(zip(cols[chosen], rows[chosen]))
    return picks


def test_approach_on_a_flat_face_is_its_normal_within_5_degrees():
    rng = np.random.default_rng(0)
    errors = []
    for source, geometry, depth in scenes(4):
        truth = geometry.points()
        for u, v in face_pixels(geometry, rng, 150):
            approach = fit_approach(depth, float(u), float(v), source.intrinsics, SIZE)
            assert approach is not None, (u, v)
            errors.append(np.degrees(np.arccos(min(1.0, approach.z_axis
                                                   @ geometry.normals[v, u]))))
            np.testing.assert_allclose(approach.position, truth[v, u], atol=0.01)
    assert max(errors) < 5.0, f'normal errors: median {np.median(errors):.2f}, max ' \
        f'{max(errors):.2f} deg'


def test_peak_positions_in_base_link_are_the_scene_points_within_1_cm():
    rng = np.random.default_rng(1)
    for source, geometry, depth in scenes(3, seed=5):
        picks = face_pixels(geometry, rng, 50)
        peaks = [Peak(float(u), float(v), 1.0) for u, v in picks]
        found = in_base(np.array(peak_positions(peaks, depth, source.intrinsics, SIZE)))
        truth = in_base(geometry.points()[tuple(np.array(picks)[:, ::-1].T)])
        assert np.linalg.norm(found - truth, axis=1).max() < 0.01


def test_cloud_points_lie_on_the_surface_with_heat_at_least_the_threshold():
    for source, geometry, depth in scenes(3, seed=2):
        heat = cv2.GaussianBlur(geometry.object_mask.astype(np.float32), (0, 0), 12)
        cloud = heat_cloud(heat / heat.max(), depth, source.intrinsics, 0.5, 4)
        assert len(cloud) > 100 and (cloud[:, 3] >= 0.5).all()
        assert geometry.distance_to_surface(cloud[:, :3]).max() < 0.01
        on_board = geometry.object_mask[::4, ::4]
        assert on_board.sum() > 0.5 * len(cloud)
