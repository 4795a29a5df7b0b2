"""A small synthetic AGD20K tree, generated once per test session, and a writable copy of it."""
import shutil
from pathlib import Path

import pytest

from looptrans_core.data.synth import generate


@pytest.fixture(scope='session')
def synth_root(tmp_path_factory) -> Path:
    """Root of a read-only small synthetic Seen tree (seed 0); copy it before changing it."""
    root = tmp_path_factory.mktemp('synth')
    generate(root, 'Seen', 'small', seed=0)
    return root


@pytest.fixture
def synth_copy(synth_root: Path, tmp_path: Path) -> Path:
    """A private copy of the small synthetic tree that a test may change."""
    shutil.copytree(synth_root, tmp_path / 'agd20k')
    return tmp_path / 'agd20k'
