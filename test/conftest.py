"""Shared fixtures: small random models on the test device (LOOPTRANS_TEST_DEVICE, default cpu)."""
import os

import numpy as np
import pytest

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
from model_factory import make_tiny_model

TEST_DEVICE = os.environ.get('LOOPTRANS_TEST_DEVICE', 'cpu')


@pytest.fixture(scope='session')
def tiny_grounder() -> Grounder:
    """Build a Grounder over a random tiny model with the Seen affordances."""
    return Grounder(make_tiny_model(), SEEN_AFFORDANCES, device=TEST_DEVICE)


@pytest.fixture
def rng() -> np.random.Generator:
    """Return a seeded numpy generator."""
    return np.random.default_rng(0)


@pytest.fixture
def scene() -> np.ndarray:
    """Return a 48 x 64 BGR test image with a bright square."""
    image = np.full((48, 64, 3), 40, np.uint8)
    image[10:30, 20:44] = (30, 160, 230)
    return image
