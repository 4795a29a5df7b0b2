"""LOCATE's released checkpoints: detect their layout from the keys and convert them to ours.

LOCATE (Reagan1311/LOCATE) saves `torch.save(model.state_dict())` of its `Net`: keys
`vit_model.*` (DINO ViT-S/16, timm's names), `aff_proj.*`, `aff_ego_proj.*`, `aff_exo_proj.*`
and `aff_fc.*` (one row per affordance: 36 for Seen, 25 for Unseen, in the order of its
`data/datatest.py`, which is ours). The test forward reads only the egocentric head, so
`aff_exo_proj.*` (training only) is read and dropped. The layout is told by LOCATE's
egocentric head `aff_ego_proj.*`, never by the file name. Problems come back as reasons
(str); `checkpoints` raises them as CheckpointError naming the file.
"""
from typing import Dict, Optional

import torch

LOCATE_HEAD = 'aff_ego_proj.'
"""The keys that only LOCATE's layout has: its egocentric head."""
TRAINING_ONLY = ('aff_exo_proj.',)
"""LOCATE modules its test forward never runs, dropped when converting."""
LOOPTRANS_HEADS = ('pixel_dec.', 'scam.', 'cluster.')
"""LoopTrans's modules: a LOCATE file holds none of them."""
NUM_NOISE_CLASSES = 0
"""LOCATE's classifier has no noise rows: `aff_fc` has one output per affordance."""


def is_locate_state(state: Dict[str, torch.Tensor]) -> bool:
    """Return whether `state` has LOCATE's keys (its egocentric head `aff_ego_proj.*`)."""
    return any(key.startswith(LOCATE_HEAD) for key in state)


def mixed_layout_error(state: Dict[str, torch.Tensor]) -> Optional[str]:
    """Why a LOCATE-keyed `state` is not one method's state dict, or None."""
    foreign = sorted(k for k in state if k.startswith(LOOPTRANS_HEADS))
    if not foreign:
        return None
    return (f"holds LOCATE's {LOCATE_HEAD}* and LoopTrans's {foreign[0].split('.')[0]}.* "
            'tensors; a checkpoint holds one method: LOCATE (aff_ego_proj.*) or LoopTrans '
            '(pixel_dec.*, scam.*)')


def from_locate_state(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Return LOCATE's `state` without its training-only tensors (a new dict; `state` is kept)."""
    return {k: v for k, v in state.items() if not k.startswith(TRAINING_ONLY)}
