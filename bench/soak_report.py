"""The soak's figures from what it recorded, and its targets, checked against them.

ROS-free: the soak hands in the cameras' summaries, the node's per-camera counts, RSS samples
and latencies; the checks are the issue's targets, reported, never asserted by a timed test.
"""
from dataclasses import dataclass
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

COUNTS = ('received', 'processed', 'dropped', 'rejected', 'failed')
WINDOW = 1000
"""Frames in the first and the last latency windows."""
RSS_SLOPE_MIB = 0.5
"""Most RSS growth, MiB per 1,000 frames per camera."""
STARVED = 0.05
"""Largest shortfall of left's processed rate against the clean run."""
LATENCY_GROWTH = 0.10
"""Largest growth of p95 latency from the first WINDOW frames to the last."""


@dataclass(frozen=True)
class Target:
    """One target: what it asks, whether it held, and the figures it was checked on."""

    name: str
    ok: bool
    detail: str


def rss_slope(samples: Sequence[Tuple[int, float]]) -> float:
    """Least-squares slope of (frames, MiB) samples, in MiB per 1,000 frames."""
    frames, mib = zip(*samples)
    if len(set(frames)) < 2:
        return 0.0
    return float(np.polyfit(frames, mib, 1)[0] * 1000.0)


def latency_window(latency_ms: Sequence[float]) -> Dict[str, Optional[float]]:
    """Median and p95 of the first and the last WINDOW latencies (all of them when fewer)."""
    out: Dict[str, Optional[float]] = {}
    for name, part in (('first', latency_ms[:WINDOW]), ('last', latency_ms[-WINDOW:])):
        out[f'{name}_median_ms'] = statistics.median(part) if part else None
        out[f'{name}_p95_ms'] = float(np.percentile(part, 95)) if part else None
    return out


def accounting(sent: Dict[str, object], counts: Dict[str, int]) -> Dict[str, object]:
    """One camera's accounting: DDS loss (sent - received), bad frames sent against rejected."""
    bad_sent = sum(sent['bad_sent'].values())
    return {'sent': sent['sent'], **{name: counts[name] for name in COUNTS},
            'dds_lost': sent['sent'] - counts['received'],
            'accounted': counts['received'] == sum(counts[name] for name in COUNTS[1:]),
            'bad_sent': bad_sent, 'bad_sent_by_kind': dict(sent['bad_sent'])}


def check_targets(run: Dict[str, object], clean_rate: Optional[float]) -> List[Target]:
    """Check the issue's targets on one run with bad frames; `clean_rate` is left's clean rate/s.

    The RSS slope is checked only where the run was long enough to fit one (2,000 frames).
    """
    cameras = run['cameras']
    right, left = cameras['right'], cameras['left']
    slope = run['rss_slope_mib_per_1k']
    targets = [] if slope is None else [Target(
        'RSS slope', slope < RSS_SLOPE_MIB,
        f'{slope:+.3f} MiB per 1,000 frames per camera (target < {RSS_SLOPE_MIB})')]
    lost = min(right['bad_sent'], right['dds_lost'])
    targets.append(Target(
        'bad frames rejected', right['failed'] == 0 and left['failed'] == 0
        and right['bad_sent'] - lost <= right['rejected'] <= right['bad_sent'],
        f"right: {right['bad_sent']} bad sent, {right['rejected']} rejected, "
        f"{right['failed']} failed, {right['dds_lost']} frames lost in DDS (so at most {lost} "
        f"bad ones); left failed {left['failed']}"))
    if clean_rate:
        ratio = run['left_processed_per_s'] / clean_rate
        targets.append(Target('left not starved', ratio >= 1.0 - STARVED,
                              f"left {run['left_processed_per_s']:.2f}/s against {clean_rate:.2f}"
                              f'/s clean: {ratio:.3f} (target >= {1.0 - STARVED:.2f})'))
    for name, camera in cameras.items():
        first, last = camera['latency']['first_p95_ms'], camera['latency']['last_p95_ms']
        if first is not None and last is not None:
            targets.append(Target(f'{name} p95 latency flat', last <= first * (1 + LATENCY_GROWTH),
                                  f'p95 first {first:.1f} ms, last {last:.1f} ms (target last '
                                  f'<= {1 + LATENCY_GROWTH:.2f} x first)'))
    return targets
