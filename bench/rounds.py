"""Interleaved rounds: every figure timed once per round, so load from elsewhere hits all alike.

A figure's min over rounds is its best case on this machine; its median, the typical one. A
ratio of two figures is taken within each round (both timed seconds apart) and summarised the
same way, so a burst of load from another process moves both sides of a ratio together.
"""
import statistics
import time
from typing import Callable, Collection, Dict, List, Sequence, Tuple

Figures = Dict[str, Callable[[], object]]
Times = Dict[str, List[float]]


def interleaved_ms(figures: Figures, rounds: int, calls: int = 5, warmup: int = 1,
                   once: Collection[str] = ()) -> Times:
    """Time each figure in every round, in ms, after `warmup` untimed calls of each.

    A figure's time in a round is the median of `calls` calls in a row (one call for the slow
    figures named in `once`), so that one call's jitter does not decide a round's ratio. The
    order of the figures rotates by one each round, so that none always runs first (after
    another process's burst) or right after the same neighbour.
    """
    names = list(figures)
    for _ in range(warmup):
        for name in names:
            figures[name]()
    times: Times = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(statistics.median(
                call_ms(figures[name]) for _ in range(1 if name in once else calls)))
    return times


def call_ms(function: Callable[[], object]) -> float:
    """Wall time of one call of `function`, in ms."""
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000.0


def summary(times: Times) -> Dict[str, Dict[str, float]]:
    """Min and median of each figure's times."""
    return {name: {'min_ms': min(values), 'median_ms': statistics.median(values)}
            for name, values in times.items()}


def round_ratios(times: Times, pairs: Sequence[Tuple[str, str, str]],
                 ) -> Dict[str, Dict[str, object]]:
    """Summarise each (name, numerator, denominator) ratio of figures.

    Gives the per-round ratios, their min and median, and the ratio of the two figures' mins.
    Pairs whose figures were not both timed are left out.
    """
    ratios = {}
    for name, top, bottom in pairs:
        if top not in times or bottom not in times:
            continue
        rounds = [a / b for a, b in zip(times[top], times[bottom])]
        ratios[name] = {'per_round': rounds, 'min': min(rounds),
                        'median': statistics.median(rounds),
                        'of_mins': min(times[top]) / min(times[bottom])}
    return ratios
