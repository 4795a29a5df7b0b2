"""Shared fixtures: small random models on the test device (LOOPTRANS_TEST_DEVICE, default cpu)."""
import os
from typing import Iterator

import numpy as np
import pytest

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
from model_factory import make_tiny_model

TEST_DEVICE = os.environ.get('LOOPTRANS_TEST_DEVICE', 'cpu')


@pytest.fixture(scope='session', autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Keep converted OpenVINO models of the whole run (and its subprocesses) in one temp dir."""
    folder = str(tmp_path_factory.mktemp('looptrans_cache'))
    previous = os.environ.get('LOOPTRANS_CACHE_DIR')
    os.environ['LOOPTRANS_CACHE_DIR'] = folder
    yield folder
    if previous is None:
        del os.environ['LOOPTRANS_CACHE_DIR']
    else:
        os.environ['LOOPTRANS_CACHE_DIR'] = previous


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
