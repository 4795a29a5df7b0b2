"""The output messages of one grounding, and their topic names: one rule for node and bag tool."""
from typing import Any, Callable, Iterator, Tuple

from looptrans_core import render_overlay
from looptrans_ros.grounding_pipeline import Grounding
from looptrans_ros.messages import MessageBuilder

KINDS = ('heatmap', 'overlay', 'peaks', 'markers', 'peak_point')
"""Every output of an action; markers and peak_point only when depth gave positions."""


def output_name(kind: str, action: str = '', camera: str = '', several: bool = False) -> str:
    """`[<camera>/][<action>/]<kind>`: the action level only when several actions are asked.

    The same rule names a camera's inputs: `output_name('image', camera='left')` is `left/image`.
    """
    parts = [camera, action if several else '', kind]
    return '/'.join(part for part in parts if part)


def grounding_messages(builder: MessageBuilder, grounding: Grounding,
                       wants_overlay: Callable[[str], bool],
                       ) -> Iterator[Tuple[str, str, Any]]:
    """Yield (action, kind, message) of every output of `grounding`, built one at a time.

    Heat map and peaks come first; the overlay (rendered only where `wants_overlay(action)`)
    last, so a subscriber of the debug image never holds the rest back.
    """
    header, settings = grounding.frame.header, grounding.settings
    bgr = None
    for action, result in grounding.results.items():
        positions = grounding.positions[action]
        yield action, 'heatmap', builder.heatmap(header, result.heatmap)
        yield action, 'peaks', builder.peaks(header, action, result.peaks, positions)
        if positions is not None:
            yield action, 'markers', builder.markers(header, action, result.peaks, positions)
            if positions and positions[0] is not None:
                yield action, 'peak_point', builder.point_stamped(header, positions[0])
        if wants_overlay(action):
            bgr = grounding.frame.bgr() if bgr is None else bgr
            overlay = render_overlay(bgr, result.heatmap, result.peaks, action,
                                     settings.overlay_alpha, settings.colormap)
            yield action, 'overlay', builder.image(header, overlay, 'bgr8')
