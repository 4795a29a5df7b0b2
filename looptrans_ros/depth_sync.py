"""Depth images in metres, and colour frames that wait too long for their depth.

Colour and depth are paired by message_filters in the node.
"""
import time
from typing import Any, Callable, Dict, Tuple

import numpy as np

Stamp = Tuple[int, int]
"""(sec, nanosec) of a header stamp."""


def stamp_key(message: Any) -> Stamp:
    """(sec, nanosec) of a message's header stamp."""
    return message.header.stamp.sec, message.header.stamp.nanosec


DEPTH_ENCODINGS = ('16UC1', 'mono16', '32FC1')


def depth_in_metres(pixels: np.ndarray, encoding: str, depth_scale: float) -> np.ndarray:
    """Float32 depth in metres: 16-bit values times `depth_scale` (0.001 for mm), 32FC1 as is."""
    if encoding not in DEPTH_ENCODINGS:
        raise ValueError(f'depth image encoding {encoding!r} is not a depth encoding; accepted: '
                         f'{", ".join(DEPTH_ENCODINGS)}')
    if encoding == '32FC1':
        return pixels.astype(np.float32, copy=False)
    return pixels.astype(np.float32) * np.float32(depth_scale)


class DepthWait:
    """Colour frames not yet paired with depth and camera_info; counted once they waited long.

    A frame whose depth was lost on the way (best-effort DDS) counts too; `stalled` tells the
    node is grounding nothing at all: frames wait and none was paired for `wait_s`.

    Called from one thread (the node's executor).

    Args:
        wait_s: how long a colour frame may wait for its depth before it counts.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(self, wait_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.wait_s, self.clock = wait_s, clock
        self._arrived: Dict[Stamp, float] = {}
        self._last_match = float('-inf')
        self.waited = 0

    def colour(self, stamp: Stamp) -> None:
        """Note a colour frame's arrival."""
        self._arrived.setdefault(stamp, self.clock())

    def matched(self, stamp: Stamp) -> None:
        """Note that the colour frame of `stamp` got its depth and camera_info."""
        self._arrived.pop(stamp, None)
        self._last_match = self.clock()

    def expire(self) -> int:
        """Count and forget the frames that waited over `wait_s`; return how many did now."""
        now = self.clock()
        late = [stamp for stamp, arrived in self._arrived.items() if now - arrived > self.wait_s]
        for stamp in late:
            del self._arrived[stamp]
        self.waited += len(late)
        return len(late)

    def stalled(self) -> bool:
        """Whether no colour frame was paired for `wait_s` (frames then wait in vain)."""
        return self.clock() - self._last_match > self.wait_s
