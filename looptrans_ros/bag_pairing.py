"""Colour frames of a bag paired with the depth image of the same stamp, and a camera_info.

A bag holds messages in receive order, so a colour frame's depth may come just before or just
after it; frames wait (at most WINDOW of them) for the depth with their exact header stamp, as
aligned RGB-D drivers stamp both. The camera_info used is the newest one read so far.
"""
from typing import Any, Dict, List, Optional, Tuple

from looptrans_ros.depth_sync import stamp_key

WINDOW = 10
"""Colour frames (and depth images) kept waiting for their partner."""

Paired = Tuple[int, Any, Optional[Any], Optional[Any]]
"""(bag timestamp, colour message, depth message or None, camera_info or None)."""


class StampPairing:
    """Feeds colour, depth and camera_info messages in bag order; returns frames as they pair."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._colour: Dict[Tuple[int, int], Tuple[int, Any]] = {}
        self._depth: Dict[Tuple[int, int], Any] = {}
        self._info: Optional[Any] = None

    def colour(self, timestamp: int, message: Any) -> List[Paired]:
        """Add a colour frame; return the frames ready (it, if its depth came already)."""
        self._colour[stamp_key(message)] = (timestamp, message)
        return self._ready()

    def depth(self, message: Any) -> List[Paired]:
        """Add a depth image; return the frames ready."""
        self._depth[stamp_key(message)] = message
        while len(self._depth) > self.window:
            del self._depth[next(iter(self._depth))]
        return self._ready()

    def camera_info(self, message: Any) -> List[Paired]:
        """Keep the newest camera_info; return the frames ready."""
        self._info = message
        return self._ready()

    def flush(self) -> List[Paired]:
        """Return every frame still waiting, without depth (the bag ended)."""
        rest = [(t, colour, None, None) for t, colour in self._colour.values()]
        self._colour.clear()
        return rest

    def _ready(self) -> List[Paired]:
        ready = []
        for key in list(self._colour):
            timestamp, colour = self._colour[key]
            if key in self._depth and self._info is not None:
                ready.append((timestamp, colour, self._depth.pop(key), self._info))
                del self._colour[key]
        while len(self._colour) > self.window:
            key = next(iter(self._colour))
            timestamp, colour = self._colour.pop(key)
            ready.append((timestamp, colour, None, None))
        return sorted(ready, key=lambda item: item[0])
