"""Image messages to arrays: cv_bridge when it imports (the ROS convention), else the codec."""
from typing import Any, Optional

import numpy as np

from looptrans_ros.depth_sync import depth_in_metres
from looptrans_ros.image_codec import (check_layout, decode_compressed, decode_image, fields_of,
                                       ImageFormatError, to_bgr8)


def load_cv_bridge() -> Optional[Any]:
    """Return a cv_bridge.CvBridge, or None where it is missing or broken (e.g. under numpy 2)."""
    try:
        from cv_bridge import CvBridge
        return CvBridge()
    except Exception:  # noqa: B902 - its compiled module raises anything under a foreign numpy
        return None


def _decode(message: Any, bridge: Optional[Any]) -> np.ndarray:
    fields = fields_of(message)
    check_layout(fields)
    if bridge is None:
        return decode_image(fields)
    try:
        return bridge.imgmsg_to_cv2(message, desired_encoding='passthrough')
    except Exception as error:  # noqa: B902 - CvBridgeError and cv2 errors alike
        raise ImageFormatError(f'cv_bridge cannot convert a {fields.encoding} image: '
                               f'{error}') from None


def image_to_bgr8(message: Any, bridge: Optional[Any] = None) -> np.ndarray:
    """H x W x 3 uint8 BGR array of a sensor_msgs/Image; ImageFormatError says why not."""
    return to_bgr8(_decode(message, bridge), str(message.encoding))


def compressed_to_bgr8(message: Any) -> np.ndarray:
    """H x W x 3 uint8 BGR array of a sensor_msgs/CompressedImage."""
    return decode_compressed(message.data, str(message.format))


def depth_to_metres(message: Any, depth_scale: float, bridge: Optional[Any] = None) -> np.ndarray:
    """Float32 depth in metres of a 16UC1 (scaled by `depth_scale`) or 32FC1 image message."""
    try:
        return depth_in_metres(_decode(message, bridge), str(message.encoding), depth_scale)
    except ValueError as error:
        raise ImageFormatError(str(error)) from None
