"""Overlays for people: a colour map over the image, peaks marked, the action written."""
from typing import Optional, Sequence

import cv2
import numpy as np

from looptrans_core.peaks import Peak

COLORMAPS = {
    'jet': cv2.COLORMAP_JET, 'turbo': cv2.COLORMAP_TURBO, 'viridis': cv2.COLORMAP_VIRIDIS,
    'inferno': cv2.COLORMAP_INFERNO, 'magma': cv2.COLORMAP_MAGMA, 'hot': cv2.COLORMAP_HOT,
}


def overlay_settings_error(alpha: float = 0.5, colormap: str = 'jet') -> Optional[str]:
    """Why these overlay settings are refused, or None: the one rule for overlays and the node."""
    if not 0.0 <= alpha <= 1.0:
        return f'overlay alpha {alpha} is outside [0, 1]'
    if colormap not in COLORMAPS:
        return f'unknown colormap {colormap!r}; expected one of {", ".join(sorted(COLORMAPS))}'
    return None


def check_overlay_settings(alpha: float = 0.5, colormap: str = 'jet') -> None:
    """Raise ValueError with the reason when `overlay_settings_error` refuses the settings."""
    reason = overlay_settings_error(alpha, colormap)
    if reason:
        raise ValueError(reason)


def colorize(heatmap: np.ndarray, colormap: str = 'jet') -> np.ndarray:
    """H x W float map in [0, 1] -> H x W x 3 uint8 BGR colour image."""
    check_overlay_settings(colormap=colormap)
    levels = np.clip(heatmap * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.applyColorMap(levels, COLORMAPS[colormap])


def render_overlay(image_bgr: np.ndarray, heatmap: np.ndarray, peaks: Sequence[Peak],
                   action: str, alpha: float = 0.5, colormap: str = 'jet') -> np.ndarray:
    """Blend the coloured heat map over a BGR image, circle the peaks, write the action.

    Args:
        image_bgr: H x W x 3 uint8 in OpenCV's BGR order.
        heatmap: H x W map in [0, 1], same size as the image.
        peaks: interaction points in pixels; the best is drawn largest.
        action: written in the top-left corner.
        alpha: weight of the colour map (0 = image only, 1 = colour map only).
        colormap: a name from COLORMAPS.
    """
    check_overlay_settings(alpha, colormap)
    if heatmap.shape != image_bgr.shape[:2]:
        raise ValueError(f'heat map {heatmap.shape} and image {image_bgr.shape[:2]} '
                         'differ in size')
    overlay = cv2.addWeighted(image_bgr, 1.0 - alpha, colorize(heatmap, colormap), alpha, 0.0)
    scale = max(image_bgr.shape[:2]) / 640.0
    for rank, peak in enumerate(peaks):
        centre = (int(round(peak.u)), int(round(peak.v)))
        radius = max(3, int((10 if rank == 0 else 6) * scale))
        cv2.circle(overlay, centre, radius, (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
        cv2.circle(overlay, centre, max(1, radius // 3), (0, 0, 0), -1, cv2.LINE_AA)
    cv2.putText(overlay, action, (int(8 * scale) + 2, int(28 * scale) + 4),
                cv2.FONT_HERSHEY_SIMPLEX, 0.8 * max(scale, 0.4), (255, 255, 255),
                max(1, int(2 * scale)), cv2.LINE_AA)
    return overlay
