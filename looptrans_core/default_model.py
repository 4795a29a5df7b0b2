"""The model a tool starts with: the checkpoint asked for, else the bundled demo, else random.

Shared by the `demo` command, the ROS node and the bag tool, so that all of them choose and
warn the same way.
"""
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.device import DeviceUnavailableError, resolve_device
from looptrans_core.grounder import Grounder
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.peaks import PeakConfig

DEMO_MODEL = Path(__file__).resolve().parent / 'assets' / 'demo_model.safetensors'
"""A tiny model trained on synthetic scenes only (`make demo-model` rebuilds it)."""
RANDOM_BACKBONE = 'vit_tiny_test'


def device_or_cpu(spec: str) -> Tuple[str, Optional[str]]:
    """Return `spec`, or 'cpu' with a warning when the CUDA device asked for is missing."""
    try:
        resolve_device(spec)
    except DeviceUnavailableError as error:
        return 'cpu', f'{error}; running on the CPU'
    return spec, None


def load_default_grounder(checkpoint: Optional[Union[str, Path]], device: str = 'auto',
                          precision: str = 'fp32', peak_config: PeakConfig = PeakConfig(),
                          demo_model: Optional[Path] = None,
                          **options: Any) -> Tuple[Grounder, List[str]]:
    """Build the Grounder for `checkpoint`, with the warnings to show the user.

    An empty `checkpoint` means the bundled demo model (`demo_model`, default DEMO_MODEL); while
    that file does not exist, a random-weight model on the tiny test backbone, so the pipeline
    still runs end to end. `options` are the Grounder's keyword options (threads, backend,
    calibration, ...).
    Raises CheckpointError (a ValueError) for a missing, unreadable, damaged, unsafe or unfit
    checkpoint file, naming the file and the reason.
    """
    demo_model = demo_model or DEMO_MODEL
    device, device_warning = device_or_cpu(device)
    warnings = [device_warning] if device_warning else []
    settings = (device, precision, peak_config)
    if checkpoint:
        return Grounder.from_checkpoint(checkpoint, *settings, **options), warnings
    if demo_model.is_file():
        warnings.append(f'no checkpoint given: using the bundled demo model {demo_model}, '
                        'trained on synthetic scenes only; pass a checkpoint for real use')
        return Grounder.from_checkpoint(demo_model, *settings, **options), warnings
    warnings.append(f'no checkpoint given and the bundled demo model {demo_model} is missing: '
                    'THE MODEL HAS RANDOM WEIGHTS and its heat maps mean nothing; pass a '
                    'checkpoint or rebuild the demo model with `make demo-model`')
    model = LoopTrans(len(SEEN_AFFORDANCES), backbone=RANDOM_BACKBONE)
    return Grounder(model, SEEN_AFFORDANCES, *settings, **options), warnings
