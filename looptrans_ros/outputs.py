"""The output messages of one grounding, and their topic names: one rule for node and bag tool."""
from typing import Any, Callable, Iterator, Sequence, Tuple

from looptrans_core import Peak, render_overlay
from looptrans_ros.grounding_types import Grounding
from looptrans_ros.messages import MessageBuilder
from looptrans_ros.spatial import Spatial

DEPTH_KINDS = ('markers', 'peak_point', 'cloud', 'poses')
"""The outputs of an action beside heatmap, overlay and peaks that need depth (and, with a
target_frame, its transform)."""


def output_name(kind: str, action: str = '', camera: str = '', several: bool = False) -> str:
    """`[<camera>/][<action>/]<kind>`: the action level only when several actions are asked.

    The same rule names a camera's inputs: `output_name('image', camera='left')` is `left/image`.
    """
    parts = [camera, action if several else '', kind]
    return '/'.join(part for part in parts if part)


def spatial_messages(builder: MessageBuilder, header: Any, action: str, peaks: Sequence[Peak],
                     spatial: Spatial, wants: Callable[[str], bool]) -> Iterator[Tuple[str, Any]]:
    """Yield (kind, message) of the 3D outputs of one action that `wants(kind)`.

    Cloud, poses, markers, and the best peak's point when it has one.
    """
    if wants('cloud'):
        yield 'cloud', builder.cloud(header, spatial)
    if wants('poses'):
        yield 'poses', builder.poses(header, spatial)
    if wants('markers'):
        yield 'markers', builder.markers(header, action, peaks, spatial)
    if wants('peak_point') and spatial.positions and spatial.positions[0] is not None:
        yield 'peak_point', builder.point_stamped(builder.in_frame(header, spatial),
                                                  spatial.positions[0])


def grounding_messages(builder: MessageBuilder, grounding: Grounding,
                       wants: Callable[[str, str], bool]) -> Iterator[Tuple[str, str, Any]]:
    """Yield (action, kind, message) of the outputs of `grounding`, built one at a time.

    Heat map and peaks always, first; the 3D outputs and the overlay only where
    `wants(action, kind)`, the overlay last, so a subscriber of the debug image never holds the
    rest back.
    """
    header, settings = grounding.frame.header, grounding.settings
    bgr = None
    for action, result in grounding.results.items():
        spatial = grounding.spatial[action]
        yield action, 'heatmap', builder.heatmap(header, result.heatmap)
        yield action, 'peaks', builder.peaks(header, action, result.peaks, spatial)
        if spatial is not None:
            yield from ((action, kind, message) for kind, message in spatial_messages(
                builder, header, action, result.peaks, spatial, lambda kind: wants(action, kind)))
        if wants(action, 'overlay'):
            bgr = grounding.frame.bgr() if bgr is None else bgr
            overlay = render_overlay(bgr, result.heatmap, result.peaks, action,
                                     settings.overlay_alpha, settings.colormap)
            yield action, 'overlay', builder.image(header, overlay, 'bgr8')
