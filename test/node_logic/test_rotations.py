"""Quaternions (x, y, z, w) from and to rotation matrices, on every branch of the conversion."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from looptrans_ros.rotations import homogeneous, matrix_from_quaternion, quaternion_from_matrix


def test_quarter_turn_about_z_by_hand():
    rotation = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    assert quaternion_from_matrix(rotation) == pytest.approx(
        (0.0, 0.0, np.sqrt(0.5), np.sqrt(0.5)))


@pytest.mark.parametrize('axis', range(3))
def test_half_turns_take_the_branches_without_trace(axis):
    rotation = -np.eye(3)
    rotation[axis, axis] = 1.0
    expected = np.zeros(4)
    expected[axis] = 1.0
    assert quaternion_from_matrix(rotation) == pytest.approx(tuple(expected))


@settings(max_examples=200, deadline=None)
@given(quaternion=st.tuples(*[st.floats(-1, 1)] * 4).filter(
    lambda q: np.linalg.norm(q) > 0.1))
def test_round_trip(quaternion):
    rotation = matrix_from_quaternion(quaternion)
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-9)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    back = np.array(quaternion_from_matrix(rotation))
    unit = np.asarray(quaternion) / np.linalg.norm(quaternion)
    assert back[3] >= 0 and abs(back @ unit) == pytest.approx(1.0)  # q and -q: one rotation


def test_homogeneous():
    matrix = homogeneous(np.eye(3), (1.0, 2.0, 3.0))
    np.testing.assert_allclose(matrix @ [0, 0, 0, 1], [1, 2, 3, 1])
