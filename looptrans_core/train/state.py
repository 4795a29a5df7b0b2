"""Resume state: a dict of tensors and plain containers, safe for torch.load(weights_only=True)."""
from pathlib import Path
import random
from typing import Any, Dict

import numpy as np
import torch

RESUME_FILE = 'resume.pt'


def rng_state() -> Dict[str, Any]:
    """Python, numpy, torch and CUDA generator states as tensors and lists."""
    version, python_state, gauss = random.getstate()
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {
        'python': [version, list(python_state), gauss],
        'numpy': [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        'torch': torch.get_rng_state(),
        'cuda': torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what `rng_state` returned."""
    version, python_state, gauss = state['python']
    random.setstate((version, tuple(python_state), gauss))
    name, keys, position, has_gauss, cached = state['numpy']
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if state['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed python, numpy and torch (all devices).

    `deterministic` also sets cudnn.deterministic = True and cudnn.benchmark = False, as the
    published `set_seed` does; otherwise cuDNN keeps its settings.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def save_resume(path: Path, state: Dict[str, Any]) -> None:
    """Write the resume dict atomically (a crash never leaves half a file)."""
    partial = path.with_suffix('.tmp')
    torch.save(state, partial)
    partial.replace(path)


def load_resume(run_dir: Path) -> Dict[str, Any]:
    """Read `run_dir/resume.pt` with weights_only=True."""
    path = Path(run_dir) / RESUME_FILE
    if not path.is_file():
        raise FileNotFoundError(f'cannot resume: {path} not found; --resume takes the folder of '
                                'an earlier training run')
    return torch.load(path, map_location='cpu', weights_only=True)
