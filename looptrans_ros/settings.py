"""The node's runtime settings: one frozen snapshot, swapped whole when a parameter changes."""
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping, Tuple

from looptrans_core import MAX_IMAGE_PIXELS, PeakConfig


@dataclass(frozen=True)
class Settings:
    """Every runtime (settable while running) parameter, named as the parameter is.

    The parameter callback builds a new Settings and swaps it in with one assignment; the worker
    reads `pipeline.settings` once per step, so a step never sees half of an update.
    """

    action: str = 'hold'
    actions: Tuple[str, ...] = ()
    max_rate_hz: float = 0.0
    max_image_pixels: int = MAX_IMAGE_PIXELS
    num_peaks: int = 3
    peak_threshold: float = 0.5
    peak_min_distance: int = 16
    overlay_alpha: float = 0.5
    colormap: str = 'jet'
    depth_scale: float = 0.001
    target_frame: str = ''
    transform_timeout_s: float = 0.1
    cloud_threshold: float = 0.5
    cloud_stride: int = 4
    stream: bool = True

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> 'Settings':
        """Build the settings from parameter `values` (name -> value); others are ignored."""
        return cls().updated(values)

    def updated(self, values: Mapping[str, Any]) -> 'Settings':
        """Return a copy with the settings among `values` changed; others are ignored."""
        names = {field.name for field in fields(self)}
        changes = {name: value for name, value in values.items() if name in names}
        if 'actions' in changes:
            changes['actions'] = tuple(changes['actions'])
        return replace(self, **changes)

    @property
    def grounded_actions(self) -> Tuple[str, ...]:
        """The actions each frame is grounded for: `actions`, or `action` alone."""
        return self.actions or (self.action,)

    @property
    def peak_config(self) -> PeakConfig:
        """The peak settings as the Grounder takes them."""
        return PeakConfig(self.num_peaks, self.peak_min_distance, self.peak_threshold)
