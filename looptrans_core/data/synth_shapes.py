"""Polygons in an object's local frame (about [-1, 1] on both axes) and their placement."""
from typing import Sequence, Tuple

import numpy as np

Polygon = np.ndarray
"""An (N, 2) float array of (x, y) points; y grows downwards, as in images."""


def rect(cx: float, cy: float, width: float, height: float) -> Polygon:
    """Return an axis-aligned rectangle centred on (cx, cy)."""
    dx, dy = width / 2, height / 2
    return np.array([[cx - dx, cy - dy], [cx + dx, cy - dy], [cx + dx, cy + dy],
                     [cx - dx, cy + dy]], dtype=np.float64)


def ellipse(cx: float, cy: float, rx: float, ry: float, points: int = 32) -> Polygon:
    """Return an ellipse centred on (cx, cy) with radii rx, ry."""
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def arc(cx: float, cy: float, outer: float, inner: float, start_deg: float, end_deg: float,
        points: int = 24) -> Polygon:
    """Return a thick circular band, a C shape, between radii `inner` and `outer`."""
    angles = np.radians(np.linspace(start_deg, end_deg, points))
    outer_pts = np.stack([cx + outer * np.cos(angles), cy + outer * np.sin(angles)], axis=1)
    inner_pts = np.stack([cx + inner * np.cos(angles), cy + inner * np.sin(angles)], axis=1)
    return np.concatenate([outer_pts, inner_pts[::-1]])


def poly(points: Sequence[Tuple[float, float]]) -> Polygon:
    """Return the polygon through the given corner points."""
    return np.asarray(points, dtype=np.float64)


def place(polygon: Polygon, centre: Tuple[float, float], scale: float, angle_deg: float,
          mirror: bool) -> np.ndarray:
    """Mirror, rotate, scale and move a local-frame polygon to integer pixel coordinates."""
    points = polygon * np.array([-1.0 if mirror else 1.0, 1.0])
    theta = np.radians(angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    pixels = points @ rotation.T * scale + np.asarray(centre)
    return np.round(pixels).astype(np.int32)
