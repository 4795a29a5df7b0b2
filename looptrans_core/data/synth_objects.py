"""The synthetic objects: AGD20K object names, their parts, and which part affords what.

A part with a `style` always looks the same kind of way (a grip is striped brown, a blade is a
cross-hatched light blue, a seat is an orange checker, ...), so a functional part is recognisable
across objects; a part without a style (a cup's body, a chair's legs) gets a random colour.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from looptrans_core.data.synth_shapes import arc, ellipse, poly, Polygon, rect


@dataclass(frozen=True)
class PartStyle:
    """How a functional part is painted.

    Attributes:
        colour: base RGB colour, jittered per image.
        texture: 'stripes', 'checker', 'dots', 'hatch', 'zigzag', 'grid', 'rings' or 'solid'.
        period: texture period as a fraction of the image's shorter side.
    """

    colour: Tuple[int, int, int]
    texture: str
    period: float = 0.04


STYLES: Dict[str, PartStyle] = {
    'grip': PartStyle((125, 70, 30), 'stripes', 0.03),
    'blade': PartStyle((80, 170, 255), 'hatch', 0.06),
    'rim': PartStyle((0, 190, 215), 'stripes', 0.02),
    'cap': PartStyle((225, 30, 30), 'dots', 0.03),
    'spout': PartStyle((40, 160, 80), 'zigzag', 0.05),
    'seat': PartStyle((235, 125, 20), 'checker', 0.04),
    'bar': PartStyle((30, 60, 205), 'stripes', 0.05),
    'mattress': PartStyle((150, 190, 245), 'checker', 0.08),
    'strings': PartStyle((185, 225, 40), 'grid', 0.035),
    'barrel': PartStyle((225, 185, 110), 'zigzag', 0.09),
    'disc': PartStyle((220, 40, 180), 'rings', 0.05),
    'ball': PartStyle((245, 245, 245), 'dots', 0.06),
}


@dataclass(frozen=True)
class Part:
    """One drawn region of an object.

    Attributes:
        name: what the part is ('blade', 'handle', ...).
        shape: its polygon in the object's local frame.
        style: key of STYLES, or None for a randomly coloured structural part.
        affordances: the actions this part affords; its mask is their ground truth.
    """

    name: str
    shape: Polygon
    style: Optional[str] = None
    affordances: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SynthObject:
    """An object: its AGD20K name and its parts, drawn in order (later parts on top)."""

    name: str
    parts: Tuple[Part, ...]

    @property
    def affordances(self) -> Tuple[str, ...]:
        """Every action some part affords, in first-appearance order."""
        names = [a for part in self.parts for a in part.affordances]
        return tuple(dict.fromkeys(names))


CONTACTS = {'sit_on': 'hips', 'ride': 'hips', 'lie_on': 'back', 'kick': 'foot'}
"""How a person touches the part of an action in exocentric images; any other action: 'hand'."""

OBJECTS: Tuple[SynthObject, ...] = (
    SynthObject('knife', (
        Part('handle', rect(-0.55, 0, 0.8, 0.34), 'grip', ('hold',)),
        Part('blade', poly([(-0.15, -0.2), (0.95, -0.2), (0.6, 0.2), (-0.15, 0.2)]),
             'blade', ('cut_with',)),
    )),
    SynthObject('scissors', (
        Part('handles', arc(-0.6, -0.3, 0.34, 0.14, 0, 360), 'grip', ('hold',)),
        Part('handle2', arc(-0.6, 0.3, 0.34, 0.14, 0, 360), 'grip', ('hold',)),
        Part('blades', poly([(-0.3, -0.2), (0.95, -0.06), (0.95, 0.06), (-0.3, 0.2)]),
             'blade', ('cut_with',)),
    )),
    SynthObject('cup', (
        Part('body', rect(0, 0.1, 0.9, 1.1)),
        Part('handle', arc(0.45, 0.1, 0.48, 0.2, -80, 80), 'grip', ('hold',)),
        Part('rim', rect(0, -0.55, 1.0, 0.3), 'rim', ('drink_with',)),
    )),
    SynthObject('bottle', (
        Part('body', rect(0, 0.35, 0.7, 1.1), 'grip', ('hold',)),
        Part('neck', poly([(-0.35, -0.2), (0.35, -0.2), (0.15, -0.6), (-0.15, -0.6)]),
             'spout', ('pour',)),
        Part('cap', rect(0, -0.75, 0.42, 0.3), 'cap', ('open',)),
    )),
    SynthObject('bicycle', (
        Part('wheel', arc(-0.6, 0.45, 0.4, 0.3, 0, 360)),
        Part('wheel2', arc(0.6, 0.45, 0.4, 0.3, 0, 360)),
        Part('frame', poly([(-0.6, 0.45), (-0.25, -0.3), (0.5, -0.3), (0.6, 0.45), (0.5, 0.45),
                            (0.42, -0.18), (-0.2, -0.18), (-0.5, 0.45)])),
        Part('seat', rect(-0.3, -0.48, 0.5, 0.28), 'seat', ('sit_on', 'ride')),
        Part('handlebar', rect(0.55, -0.52, 0.5, 0.28), 'bar', ('push', 'ride')),
    )),
    SynthObject('chair', (
        Part('back', rect(-0.35, -0.45, 0.18, 0.9)),
        Part('legs', rect(-0.38, 0.5, 0.15, 0.8)),
        Part('leg2', rect(0.35, 0.5, 0.15, 0.8)),
        Part('seat', rect(0, 0.05, 0.95, 0.3), 'seat', ('sit_on',)),
    )),
    SynthObject('bed', (
        Part('frame', rect(0, 0.3, 1.9, 0.3)),
        Part('headboard', rect(-0.9, -0.1, 0.16, 0.9)),
        Part('mattress', rect(0.05, 0.0, 1.7, 0.4), 'mattress', ('lie_on',)),
    )),
    SynthObject('tennis_racket', (
        Part('handle', rect(-0.6, 0, 0.7, 0.28), 'grip', ('hold', 'swing')),
        Part('frame', ellipse(0.4, 0, 0.55, 0.42)),
        Part('strings', ellipse(0.4, 0, 0.45, 0.33), 'strings', ('hit',)),
    )),
    SynthObject('baseball_bat', (
        Part('handle', rect(-0.55, 0, 0.8, 0.26), 'grip', ('hold', 'swing')),
        Part('barrel', poly([(-0.15, -0.14), (0.9, -0.22), (0.95, 0), (0.9, 0.22), (-0.15, 0.14)]),
             'barrel', ('hit',)),
    )),
    SynthObject('frisbee', (
        Part('disc', ellipse(0, 0, 0.8, 0.5), 'disc', ('throw', 'catch')),
    )),
    SynthObject('soccer_ball', (
        Part('ball', ellipse(0, 0, 0.6, 0.6), 'ball', ('kick',)),
    )),
)

UNSEEN_TEST_OBJECTS = ('scissors', 'baseball_bat', 'chair')
"""In the Unseen divide these objects appear only in the test set, as in AGD20K; every one of
their actions is learnable from another object whose part has the same style."""


def object_by_name(name: str) -> SynthObject:
    """Return the synthetic object called `name`, or raise listing the known ones."""
    for obj in OBJECTS:
        if obj.name == name:
            return obj
    raise ValueError(f'unknown synthetic object {name!r}; known: {[o.name for o in OBJECTS]}')
