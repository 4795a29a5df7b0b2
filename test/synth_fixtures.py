"""A small synthetic AGD20K tree, generated once per test session, and a writable copy of it."""
from pathlib import Path
import shutil

import pytest

from looptrans_core.data.synth import generate


@pytest.fixture(scope='session')
def synth_root(tmp_path_factory) -> Path:
    """Generate a small synthetic Seen tree (seed 0) once; copy it before changing it."""
    root = tmp_path_factory.mktemp('synth')
    generate(root, 'Seen', 'small', seed=0)
    return root


@pytest.fixture
def synth_copy(synth_root: Path, tmp_path: Path) -> Path:
    """Copy the small synthetic tree to a private folder that a test may change."""
    shutil.copytree(synth_root, tmp_path / 'agd20k')
    return tmp_path / 'agd20k'
