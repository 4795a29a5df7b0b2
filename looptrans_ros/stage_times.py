"""Where a frame's time goes: a rolling median of each stage of the node's pipeline."""
from collections import deque
from contextlib import contextmanager
import statistics
import threading
import time
from typing import Deque, Dict, Iterator, List, Tuple

STAGES = ('receive', 'decode', 'preprocess', 'network', 'postprocess', 'images', 'publish')
"""A frame's stages, in order: receive = the camera's stamp to the node's callback (DDS,
deserialisation, the executor's queue); decode = message to pixels; preprocess = resize and
normalise; network = the forward pass; postprocess = maps to the host and peaks; images = the
output messages (heat map, overlay, peaks); publish = handing them to the publishers."""
WINDOW = 100
"""Frames each median is taken over."""


class StageTimes:
    """Thread-safe rolling medians of each stage's milliseconds over the last WINDOW frames."""

    def __init__(self, window: int = WINDOW) -> None:
        self._lock = threading.Lock()
        self._times: Dict[str, Deque[float]] = {stage: deque(maxlen=window) for stage in STAGES}

    def add(self, stage: str, ms: float) -> None:
        """Record one frame's (or one batch's) time in `stage`, one of STAGES."""
        with self._lock:
            self._times[stage].append(ms)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time the block as one frame's (or batch's) `stage`."""
        start = time.perf_counter()
        yield
        self.add(stage, (time.perf_counter() - start) * 1000.0)

    def medians(self) -> Dict[str, float]:
        """Return each stage's median milliseconds; a stage with no time yet is left out."""
        with self._lock:
            return {stage: statistics.median(times) for stage, times in self._times.items()
                    if times}


def stage_values(medians: Dict[str, float]) -> List[Tuple[str, str]]:
    """Key-value pairs of /diagnostics: `stage_<stage>_ms`, the median, in stage order."""
    return [(f'stage_{stage}_ms', f'{medians[stage]:.2f}') for stage in STAGES
            if stage in medians]
