"""Optional inference speed-ups: threads, channels-last heads, torch.compile."""
import logging
from typing import Callable, Optional

import torch

from looptrans_core.model.grounding_net import GroundingNet

LOGGER = logging.getLogger(__name__)
COMPILE_MODES = ('default', 'reduce-overhead', 'max-autotune')
"""`torch.compile` modes; 'reduce-overhead' records CUDA graphs for the fixed 224 x 224 input."""


def set_threads(threads: Optional[int]) -> None:
    """Set torch's intra-op CPU threads for this process (None keeps the current setting)."""
    if threads is None:
        return
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f'threads must be a positive integer or None, got {threads!r}')
    torch.set_num_threads(threads)


def channels_last(model: GroundingNet) -> GroundingNet:
    """Store the convolution weights channels-last; the heads' input already is."""
    return model.to(memory_format=torch.channels_last)


def compiled(forward: Callable[[torch.Tensor], torch.Tensor],
             mode: Optional[str]) -> Callable[[torch.Tensor], torch.Tensor]:
    """`forward` under `torch.compile(mode=mode)`, falling back to eager if compiling fails.

    None returns `forward` unchanged. The first call compiles; a failure there (no compiler,
    unsupported platform) is logged once and every later call runs eagerly.
    """
    if mode is None:
        return forward
    if mode not in COMPILE_MODES:
        raise ValueError(f'unknown compile mode {mode!r}; expected None or one of {COMPILE_MODES}')
    try:
        fast = torch.compile(forward, mode=mode)
    except Exception as error:  # noqa: BLE001 - any failure means: run eagerly
        LOGGER.warning('torch.compile unavailable (%s); running eagerly', error)
        return forward
    state = {'call': fast}

    def run(batch: torch.Tensor) -> torch.Tensor:
        try:
            return state['call'](batch)
        except Exception as error:  # noqa: BLE001 - compile errors surface on the first call
            if state['call'] is forward:
                raise
            LOGGER.warning('torch.compile failed (%s); running eagerly', error)
            state['call'] = forward
            return forward(batch)

    return run
