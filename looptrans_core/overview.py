"""One picture of a grounding run: the input and every action's overlay, labelled, in a grid."""
from typing import List, Sequence

import cv2
import numpy as np

LABEL_HEIGHT = 28


def labelled(image_bgr: np.ndarray, label: str) -> np.ndarray:
    """Return `image_bgr` with a dark label strip above it."""
    strip = np.full((LABEL_HEIGHT, image_bgr.shape[1], 3), 32, np.uint8)
    cv2.putText(strip, label, (8, LABEL_HEIGHT - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([strip, image_bgr])


def overview_grid(tiles: Sequence[np.ndarray], labels: Sequence[str],
                  columns: int = 2) -> np.ndarray:
    """Return labelled same-size BGR `tiles` in a grid of `columns`, empty cells black."""
    cells: List[np.ndarray] = [labelled(tile, label) for tile, label in zip(tiles, labels)]
    blank = np.zeros_like(cells[0])
    cells += [blank] * (-len(cells) % columns)
    rows = [np.concatenate(cells[i:i + columns], axis=1) for i in range(0, len(cells), columns)]
    return np.concatenate(rows)
