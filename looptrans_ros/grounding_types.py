"""What flows through the grounding pipeline: submitted messages, decoded frames, groundings."""
from dataclasses import dataclass, field, replace
import time
from typing import Any, Dict, Optional

import numpy as np

from looptrans_core import AffordanceMap
from looptrans_ros.conversion import MessageDecoder
from looptrans_ros.image_codec import as_bgr
from looptrans_ros.projection import Intrinsics
from looptrans_ros.settings import Settings
from looptrans_ros.spatial import Spatial


@dataclass(frozen=True)
class Submitted:
    """One camera's messages as a callback handed them over, and when they arrived."""

    image: Any
    depth: Any = None
    camera_info: Any = None
    arrived: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Frame:
    """A decoded frame: header, pixels in the camera's channel order, depth and intrinsics."""

    header: Any
    pixels: np.ndarray
    channel_order: str
    depth_m: Optional[np.ndarray] = None
    intrinsics: Optional[Intrinsics] = None

    @classmethod
    def decoded(cls, decoder: MessageDecoder, image: Any) -> 'Frame':
        """Decode a colour Image or CompressedImage; ImageFormatError when it is refused."""
        pixels, order = decoder.colour(image)
        return cls(image.header, pixels, order)

    def with_depth(self, decoder: MessageDecoder, depth: Any, camera_info: Any) -> 'Frame':
        """Return this frame with its depth (metres, at its size) and intrinsics decoded.

        Raises:
            ImageFormatError: the depth or the camera_info is refused.
        """
        return replace(self, depth_m=decoder.depth(depth, self.pixels.shape[:2]),
                       intrinsics=decoder.intrinsics(camera_info))

    def bgr(self) -> np.ndarray:
        """Return the pixels in BGR order, for drawing an overlay."""
        return as_bgr(self.pixels, self.channel_order)


@dataclass(frozen=True)
class Grounding:
    """One processed frame: every action's map, its 3D outputs when depth came, the settings.

    Attributes:
        camera: the camera key.
        frame: the decoded frame.
        results: action -> AffordanceMap (or a goal's map pasted back from its ROI: the same
            `heatmap` and `peaks`).
        spatial: action -> Spatial; None each without depth or without a transform.
        settings: the snapshot the frame was grounded with.
    """

    camera: str
    frame: Frame
    results: Dict[str, AffordanceMap]
    spatial: Dict[str, Optional[Spatial]]
    settings: Settings
