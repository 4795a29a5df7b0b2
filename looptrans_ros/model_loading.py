"""Which model and device the node starts with: the checkpoint, the bundled demo, or random."""
from pathlib import Path
from typing import List, Optional, Tuple

import torch

import looptrans_core
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.peaks import PeakConfig

DEMO_CHECKPOINT = Path(looptrans_core.__file__).parent / 'assets' / 'demo_model.safetensors'
RANDOM_BACKBONE = 'vit_tiny_test'


def choose_device(spec: str) -> Tuple[str, Optional[str]]:
    """Return the device to use for `spec`, and a warning when the CUDA asked for is missing."""
    if spec.startswith('cuda'):
        index = int(spec[5:]) if spec.startswith('cuda:') else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            return 'cpu', (f'device {spec!r} requested but CUDA device {index} is not available '
                           '(no GPU, driver or CUDA build of torch); running on the CPU')
    return spec, None


def load_grounder(checkpoint: str, device: str, precision: str, peak_config: PeakConfig,
                  demo_checkpoint: Path = DEMO_CHECKPOINT) -> Tuple[Grounder, List[str]]:
    """Build the Grounder the node parameters ask for, with the warnings to log.

    An empty `checkpoint` means the bundled demo model; while that file does not exist, a
    random-weight model on the tiny test backbone, so the pipeline still runs end to end.
    Raises CheckpointError (a ValueError) for a missing or unfit checkpoint.
    """
    device, device_warning = choose_device(device)
    warnings = [device_warning] if device_warning else []
    if checkpoint:
        return Grounder.from_checkpoint(checkpoint, device, precision, peak_config), warnings
    if demo_checkpoint.is_file():
        warnings.append(f'no checkpoint given: using the bundled demo model {demo_checkpoint}, '
                        'trained on synthetic scenes only; pass checkpoint:=/path/to/model for '
                        'real use')
        return Grounder.from_checkpoint(demo_checkpoint, device, precision, peak_config), warnings
    warnings.append(f'no checkpoint given and the bundled demo model {demo_checkpoint} is '
                    'missing: THE MODEL HAS RANDOM WEIGHTS and its heat maps mean nothing; pass '
                    'checkpoint:=/path/to/model.safetensors')
    model = LoopTrans(len(SEEN_AFFORDANCES), backbone=RANDOM_BACKBONE)
    return Grounder(model, SEEN_AFFORDANCES, device, precision, peak_config), warnings
