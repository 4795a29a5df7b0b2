"""Style: the ament_flake8 settings (setup.cfg) over the whole repository."""
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ['looptrans_core', 'looptrans_ros', 'launch', 'test', 'bench', 'setup.py']


@pytest.mark.linter
def test_flake8():
    pytest.importorskip('flake8', reason='flake8 is installed by the [test] extra')
    paths = [p for p in CHECKED if (ROOT / p).exists()]
    result = subprocess.run([sys.executable, '-m', 'flake8', *paths], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, f'flake8 found problems:\n{result.stdout}{result.stderr}'
