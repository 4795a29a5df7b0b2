"""Matching colour frames to depth frames by stamp, and depth images to metres."""
from collections import deque
import threading
from typing import Deque, Optional, Tuple

import numpy as np

DEPTH_ENCODINGS = ('16UC1', 'mono16', '32FC1')
DEPTH_HISTORY = 8
"""Depth frames kept for matching; cameras send depth at most a few frames ahead of colour."""


def depth_in_metres(pixels: np.ndarray, encoding: str, depth_scale: float) -> np.ndarray:
    """Float32 depth in metres: 16-bit values times `depth_scale` (0.001 for mm), 32FC1 as is."""
    if encoding not in DEPTH_ENCODINGS:
        raise ValueError(f'depth image encoding {encoding!r} is not a depth encoding; accepted: '
                         f'{", ".join(DEPTH_ENCODINGS)}')
    if encoding == '32FC1':
        return pixels.astype(np.float32, copy=False)
    return pixels.astype(np.float32) * np.float32(depth_scale)


class DepthBuffer:
    """The last few depth frames with their stamps; thread-safe."""

    def __init__(self, history: int = DEPTH_HISTORY) -> None:
        self._lock = threading.Lock()
        self._frames: Deque[Tuple[float, np.ndarray]] = deque(maxlen=history)

    def add(self, stamp_s: float, depth_m: np.ndarray) -> None:
        """Store a depth frame in metres taken at `stamp_s` seconds."""
        with self._lock:
            self._frames.append((stamp_s, depth_m))

    def match(self, stamp_s: float, tolerance_s: float) -> Optional[np.ndarray]:
        """Return the depth frame nearest `stamp_s`, if within `tolerance_s`; else None."""
        with self._lock:
            frames = list(self._frames)
        if not frames:
            return None
        stamp, depth = min(frames, key=lambda frame: abs(frame[0] - stamp_s))
        return depth if abs(stamp - stamp_s) <= tolerance_s else None
