"""looptrans_core: the LoopTrans affordance-grounding model, ROS-free.

Model, checkpoints, the Grounder inference API, data, training and evaluation.
"""
from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.grounder import AffordanceMap, Grounder
from looptrans_core.peaks import Peak, PeakConfig

__all__ = ['AffordanceMap', 'Grounder', 'Peak', 'PeakConfig', 'SEEN_AFFORDANCES',
           'UNSEEN_AFFORDANCES']
