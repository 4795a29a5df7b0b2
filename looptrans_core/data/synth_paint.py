"""Painting on an RGB canvas: textured parts, a cluttered background, a person-like figure."""
from typing import Tuple

import cv2
import numpy as np

from looptrans_core.data.synth_objects import PartStyle

SKIN_TONES = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))


def texture(style: PartStyle, shape: Tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Paint an H x W x 3 float image of `style`'s texture with a jittered colour and phase."""
    height, width = shape
    period = max(3.0, style.period * min(shape) * rng.uniform(0.8, 1.25))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    along = (xs * np.cos(theta) + ys * np.sin(theta) + rng.uniform(0, period)) / period
    kind = style.texture
    if kind == 'stripes':
        shade = 0.75 + 0.25 * np.sin(2 * np.pi * along)
    elif kind == 'checker':
        shade = np.where((np.floor(xs / period) + np.floor(ys / period)) % 2 == 0, 1.0, 0.6)
    elif kind == 'dots':
        dx, dy = xs % period - period / 2, ys % period - period / 2
        shade = np.where(dx ** 2 + dy ** 2 < (period / 3.5) ** 2, 0.15, 1.0)
    elif kind == 'hatch':
        across = (ys * np.cos(theta + np.pi / 3) - xs * np.sin(theta + np.pi / 3)) / period
        shade = np.where((along % 1 < 0.22) | (across % 1 < 0.22), 0.4, 1.0)
    elif kind == 'zigzag':
        across = (ys * np.cos(theta) - xs * np.sin(theta)) / period
        shade = 0.65 + 0.35 * np.sign(np.sin(2 * np.pi * (along + np.abs(across % 1 - 0.5))))
    elif kind == 'grid':
        shade = np.where((xs % period < 2) | (ys % period < 2), 1.0, 0.35)
    elif kind == 'rings':
        radius = np.hypot(xs - width / 2, ys - height / 2) / period
        shade = 0.7 + 0.3 * np.sign(np.sin(2 * np.pi * radius))
    else:
        shade = np.ones_like(xs)
    colour = np.clip(np.asarray(style.colour) + rng.integers(-18, 19, 3), 0, 255)
    return shade[..., None] * colour.astype(np.float32)


def fill(canvas: np.ndarray, points: np.ndarray, paint: np.ndarray) -> np.ndarray:
    """Fill polygon `points` on `canvas` with `paint` (a colour or an image); return its mask."""
    mask = np.zeros(canvas.shape[:2], np.uint8)
    cv2.fillPoly(mask, [points], 1)
    inside = mask.astype(bool)
    canvas[inside] = (paint[inside] if paint.ndim == 3 else paint).astype(np.uint8)
    return inside


def random_colour(rng: np.random.Generator, saturation: Tuple[float, float]) -> np.ndarray:
    """Draw an RGB colour: random hue, value in [0.35, 0.95], saturation in the given range."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*saturation) * 255,
                      rng.uniform(0.35, 0.95) * 255]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def background(shape: Tuple[int, int], rng: np.random.Generator, clutter: int) -> np.ndarray:
    """Paint a dull gradient with noise and `clutter` low-saturation blobs and boxes."""
    height, width = shape
    top, bottom = random_colour(rng, (0, 0.2)), random_colour(rng, (0, 0.2))
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    canvas = top * (1 - ramp) + bottom * ramp + rng.normal(0, 6, (height, width, 3))
    canvas = np.clip(canvas, 0, 255).astype(np.uint8)
    side = min(shape)
    for _ in range(clutter):
        colour = tuple(int(c) for c in random_colour(rng, (0, 0.25)))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        size = int(side * rng.uniform(0.05, 0.15))
        if rng.random() < 0.5:
            cv2.circle(canvas, centre, size, colour, -1)
        else:
            corner = (centre[0] + size, centre[1] + int(size * rng.uniform(0.5, 1.5)))
            cv2.rectangle(canvas, centre, corner, colour, -1)
    return canvas


def person(canvas: np.ndarray, contact: Tuple[int, int], kind: str, side: int,
           rng: np.random.Generator) -> None:
    """Draw a stick-and-box person whose hand, hips, back or foot is at `contact`.

    Args:
        canvas: RGB image, drawn on in place.
        contact: pixel (x, y) the person touches; the hand or body covers it.
        kind: 'hand', 'hips', 'back' or 'foot'.
        side: the figure's scale in pixels (about its height / 2.5).
        rng: random source for pose and colours.
    """
    skin = tuple(int(c) for c in SKIN_TONES[rng.integers(len(SKIN_TONES))])
    shirt = tuple(int(c) for c in random_colour(rng, (0.4, 0.9)))
    trousers = tuple(int(c) for c in random_colour(rng, (0.2, 0.6)))
    limb = max(2, side // 9)
    x, y = contact
    flip = 1 if rng.random() < 0.5 else -1
    if kind == 'back':
        hips, shoulders = (x + flip * side // 2, y), (x - flip * side // 2, y)
    elif kind == 'hips':
        hips = (x, y)
        shoulders = (x + int(flip * side * 0.15), y - side)
    elif kind == 'foot':
        hips = (x - flip * side // 3, y - side)
        shoulders = (hips[0], hips[1] - side)
    else:
        shoulders = (x + flip * int(side * rng.uniform(0.5, 0.8)),
                     y - int(side * rng.uniform(0.1, 0.5)))
        hips = (shoulders[0], shoulders[1] + side)
    knee = (hips[0] - flip * side // 2, hips[1] + side // 3)
    feet = contact if kind == 'foot' else (knee[0], knee[1] + side // 2)
    cv2.line(canvas, hips, knee, trousers, limb * 2)
    cv2.line(canvas, knee, feet, trousers, limb * 2)
    cv2.line(canvas, shoulders, hips, shirt, limb * 4)
    direction = np.subtract(shoulders, hips) / max(1.0, np.hypot(*np.subtract(shoulders, hips)))
    head = tuple(int(v) for v in np.asarray(shoulders) + direction * side * 0.45)
    cv2.circle(canvas, head, max(3, side // 4), skin, -1)
    resting = (shoulders[0] - flip * side // 2, shoulders[1] + side // 2)
    hand = contact if kind == 'hand' else resting
    cv2.line(canvas, shoulders, hand, shirt, limb * 2)
    cv2.circle(canvas, hand, max(2, side // 7), skin, -1)
