"""The published methods whose test-time networks we run, by the name checkpoints record."""
from typing import Dict, Tuple, Type

from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.model.locate import Locate
from looptrans_core.model.looptrans import LoopTrans

NETWORKS: Dict[str, Type[GroundingNet]] = {LoopTrans.method: LoopTrans, Locate.method: Locate}
METHODS: Tuple[str, ...] = tuple(NETWORKS)
"""'looptrans' (ours, ICCV 2025) and 'locate' (LOCATE, CVPR 2023)."""


def build_network(method: str, num_affordances: int, backbone: str) -> GroundingNet:
    """Build the random-weight test-time network of `method`, or raise naming the known ones."""
    if method not in NETWORKS:
        raise ValueError(f'unknown method {method!r}; known: {", ".join(METHODS)}')
    return NETWORKS[method](num_affordances, backbone=backbone)
