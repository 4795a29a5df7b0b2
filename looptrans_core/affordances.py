"""The AGD20K affordance vocabularies, in the published class order."""
from typing import Tuple

SEEN_AFFORDANCES: Tuple[str, ...] = (
    'beat', 'boxing', 'brush_with', 'carry', 'catch', 'cut', 'cut_with', 'drag', 'drink_with',
    'eat', 'hit', 'hold', 'jump', 'kick', 'lie_on', 'lift', 'look_out', 'open', 'pack', 'peel',
    'pick_up', 'pour', 'push', 'ride', 'sip', 'sit_on', 'stick', 'stir', 'swing', 'take_photo',
    'talk_on', 'text_on', 'throw', 'type_on', 'wash', 'write',
)
UNSEEN_AFFORDANCES: Tuple[str, ...] = (
    'carry', 'catch', 'cut', 'cut_with', 'drink_with', 'eat', 'hit', 'hold', 'jump', 'kick',
    'lie_on', 'open', 'peel', 'pick_up', 'pour', 'push', 'ride', 'sip', 'sit_on', 'stick',
    'swing', 'take_photo', 'throw', 'type_on', 'wash',
)
NUM_NOISE_CLASSES = 15
"""Extra classifier channels the published model learns for background ("noise") parts."""

DIVIDES = {'Seen': SEEN_AFFORDANCES, 'Unseen': UNSEEN_AFFORDANCES}


def affordances_for_divide(divide: str) -> Tuple[str, ...]:
    """Return the affordance names of an AGD20K split ('Seen' or 'Unseen')."""
    if divide not in DIVIDES:
        raise ValueError(f'unknown divide {divide!r}; expected one of {sorted(DIVIDES)}')
    return DIVIDES[divide]


def divide_for_num_classes(num_classes: int, noise_classes: int = NUM_NOISE_CLASSES) -> str:
    """Return the split whose affordances plus `noise_classes` make `num_classes` classifier rows.

    LoopTrans's classifier has 15 noise rows after the affordances; LOCATE's has none.
    """
    for divide, names in DIVIDES.items():
        if len(names) + noise_classes == num_classes:
            return divide
    accepted = {d: len(n) + noise_classes for d, n in DIVIDES.items()}
    raise ValueError(f'a classifier with {num_classes} outputs matches no AGD20K split; '
                     f'expected {accepted}')
