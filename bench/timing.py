"""Medians of repeated timings, and peak host memory."""
import resource
import statistics
import time
from typing import Callable, Dict


def median_ms(function: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of `function()` in milliseconds over `repeats` runs after `warmup`."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def stage_medians(stages: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, float]:
    """`median_ms` of each named stage, run in order inside every repeat."""
    times: Dict[str, list] = {name: [] for name in stages}
    for index in range(repeats + 1):
        for name, stage in stages.items():
            start = time.perf_counter()
            stage()
            if index:
                times[name].append((time.perf_counter() - start) * 1000.0)
    return {f'{name}_ms': statistics.median(values) for name, values in times.items()}


def peak_host_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
