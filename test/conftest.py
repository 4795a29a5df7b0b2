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
