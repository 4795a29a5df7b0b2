"""Synthetic scenes: one object alone (egocentric) or touched by a person (exocentric)."""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from looptrans_core.data.synth_objects import CONTACTS, object_by_name, OBJECTS, STYLES, \
    SynthObject
from looptrans_core.data.synth_paint import background, fill, person, random_colour, texture
from looptrans_core.data.synth_shapes import place

EXO_ZOOM = (2.0, 3.0)
"""How many times larger than the image an exocentric scene is drawn before the crop."""
GT_SIGMA = 0.05
"""Gaussian blur of the ground-truth part masks, as a fraction of the image's shorter side."""


@dataclass
class Scene:
    """A drawn image and where each action is afforded in it.

    Attributes:
        image: H x W x 3 uint8, RGB.
        object_name: the AGD20K object drawn.
        part_masks: action -> H x W bool mask of the visible part(s) that afford it.
        object_mask: H x W bool mask of the object's visible pixels (all its parts).
    """

    image: np.ndarray
    object_name: str
    part_masks: Dict[str, np.ndarray]
    object_mask: np.ndarray

    @property
    def affordances(self) -> Tuple[str, ...]:
        """The actions the drawn object affords."""
        return tuple(self.part_masks)

    def heatmap(self, action: str) -> np.ndarray:
        """Ground truth of `action`: its part mask, Gaussian blurred, scaled to max 1 (float32)."""
        if action not in self.part_masks:
            raise ValueError(f'{action!r} is not afforded by the {self.object_name} in this '
                             f'scene; afforded: {self.affordances}')
        sigma = GT_SIGMA * min(self.image.shape[:2])
        blurred = cv2.GaussianBlur(self.part_masks[action].astype(np.float32), (0, 0), sigma)
        return blurred / max(float(blurred.max()), 1e-12)


def draw_object(canvas: np.ndarray, obj: SynthObject, centre: Tuple[float, float], scale: float,
                rng: np.random.Generator) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Paint `obj` on `canvas` in a random pose.

    Returns:
        action -> mask of the visible part(s) that afford it, and the mask of all its pixels.
    """
    angle, mirror = rng.uniform(-30, 30), bool(rng.random() < 0.5)
    neutral = random_colour(rng, (0.05, 0.35))
    masks = {action: np.zeros(canvas.shape[:2], bool) for action in obj.affordances}
    silhouette = np.zeros(canvas.shape[:2], bool)
    for part in obj.parts:
        paint = neutral if part.style is None else texture(STYLES[part.style], canvas.shape[:2],
                                                           rng)
        inside = fill(canvas, place(part.shape, centre, scale, angle, mirror), paint)
        silhouette |= inside
        for action, mask in masks.items():
            mask[inside] = action in part.affordances
    return masks, silhouette


def ego_scene(rng: np.random.Generator, size: Tuple[int, int], obj: SynthObject) -> Scene:
    """`obj` alone on a cluttered background, at a random place, scale, pose and colour."""
    height, width = size
    canvas = background(size, rng, clutter=int(rng.integers(0, 4)))
    scale = min(size) * rng.uniform(0.34, 0.48)
    margin = 0.7 * scale
    centre = (rng.uniform(margin, width - margin), rng.uniform(margin, height - margin))
    masks, silhouette = draw_object(canvas, obj, centre, scale, rng)
    return Scene(canvas, obj.name, masks, silhouette)


def exo_scene(rng: np.random.Generator, size: Tuple[int, int], obj: SynthObject,
              action: str) -> Scene:
    """`obj` with a person whose hand or body touches, and partly hides, the part of `action`.

    The person stands behind the object, only the hand or body at the contact in front. The
    scene is drawn EXO_ZOOM times larger and cropped around the contact, so the image is framed
    on the interaction as an exocentric photo is, and other parts may fall outside it.
    """
    zoom = rng.uniform(*EXO_ZOOM)
    full = (round(size[0] * zoom), round(size[1] * zoom))
    canvas = background(full, rng, clutter=int(rng.integers(0, 4)))
    side = min(full)
    scale = side * rng.uniform(0.28, 0.4)
    centre = (rng.uniform(0.3, 0.7) * full[1], rng.uniform(0.4, 0.7) * full[0])
    empty = canvas.copy()
    masks, silhouette = draw_object(canvas, obj, centre, scale, rng)
    ys, xs = np.nonzero(masks[action])
    if len(xs):
        pick = rng.integers(len(xs))
        contact = (int(xs[pick]), int(ys[pick]))
    else:
        contact = (int(centre[0]), int(centre[1]))
    figure = int(side * rng.uniform(0.16, 0.22))
    person_shown = add_person(canvas, (canvas != empty).any(-1), contact,
                              CONTACTS.get(action, 'hand'), figure, rng)
    window = crop_window(rng, full, size, contact)
    return Scene(canvas[window].copy(), obj.name, {a: m[window] for a, m in masks.items()},
                 (silhouette & ~person_shown)[window])


def add_person(canvas: np.ndarray, on_object: np.ndarray, contact: Tuple[int, int], kind: str,
               figure: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a person behind the object (`on_object` mask) but for the hand or body at `contact`.

    Returns:
        The mask of the person's pixels drawn.
    """
    posed = canvas.copy()
    person(posed, contact, kind, figure, rng)
    touch = np.zeros(on_object.shape, np.uint8)
    cv2.circle(touch, contact, max(3, figure // 6), 1, -1)
    shown = (posed != canvas).any(-1) & (~on_object | touch.astype(bool))
    canvas[shown] = posed[shown]
    return shown


def crop_window(rng: np.random.Generator, full: Tuple[int, int], size: Tuple[int, int],
                point: Tuple[int, int]) -> Tuple[slice, slice]:
    """Return the slices of a `size` window of `full` holding `point` (x, y), off-centre."""
    corner = []
    for length, inner, at in zip(full, size, point[::-1]):
        start = at - inner // 2 + int(rng.uniform(-0.25, 0.25) * inner)
        corner.append(int(np.clip(start, 0, length - inner)))
    return slice(corner[0], corner[0] + size[0]), slice(corner[1], corner[1] + size[1])


def render_scene(rng: np.random.Generator, size: Tuple[int, int] = (480, 640),
                 object_name: Optional[str] = None) -> Tuple[np.ndarray, Tuple[str, ...]]:
    """Draw one egocentric scene, e.g. for a demo or a synthetic camera.

    Args:
        rng: numpy random generator; the same state gives the same image.
        size: (height, width) in pixels.
        object_name: an AGD20K object of `synth_objects.OBJECTS`; None picks one at random.

    Returns:
        (H x W x 3 uint8 RGB image, the actions its object affords). `random_scene` gives the
        same image with its masks.
    """
    scene = random_scene(rng, size, object_name)
    return scene.image, scene.affordances


def random_scene(rng: np.random.Generator, size: Tuple[int, int] = (480, 640),
                 object_name: Optional[str] = None) -> Scene:
    """Draw the scene `render_scene` draws, with its part and object masks (same arguments)."""
    if len(size) != 2 or min(size) < 32:
        raise ValueError(f'size must be (height, width) with both >= 32, got {size}')
    obj = object_by_name(object_name) if object_name else OBJECTS[rng.integers(len(OBJECTS))]
    return ego_scene(rng, (int(size[0]), int(size[1])), obj)
