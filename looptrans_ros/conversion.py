"""Image messages <-> arrays: cv_bridge for the encodings it converts correctly, else the codec.

The system cv_bridge converts with the Python `cv2` that is imported, which need not be the
OpenCV it was compiled against: pip's OpenCV 5 renumbered the type codes (CV_8UC3 is 64 there,
16 in OpenCV 4), so a stock cv_bridge then fails on every multi-channel image. So the bridge is
checked once, by a real round trip of every encoding the node reads or writes, and used only
for the encodings that pass; the built-in codec converts the rest.
"""
from dataclasses import dataclass, field, replace
from typing import Any, Dict, FrozenSet, Optional, Tuple

import numpy as np

from looptrans_core import MAX_IMAGE_PIXELS
from looptrans_ros.depth_sync import depth_in_metres
from looptrans_ros.image_codec import (check_compressed, check_layout, decode_compressed,
                                       decode_image, encode_image, ENCODINGS, fields_of,
                                       ImageFormatError, to_colour)
from looptrans_ros.projection import Intrinsics


@dataclass(frozen=True)
class Bridge:
    """A cv_bridge.CvBridge and the encodings it round-trips correctly.

    Attributes:
        cv_bridge: the CvBridge, or None where cv_bridge does not import.
        encodings: the encodings to convert with it; the codec converts every other one.
        failures: encoding -> why the round trip failed, for the log line.
    """

    cv_bridge: Optional[Any] = None
    encodings: FrozenSet[str] = frozenset()
    failures: Dict[str, str] = field(default_factory=dict)

    def converts(self, encoding: str) -> bool:
        """Whether `encoding` goes through cv_bridge."""
        return self.cv_bridge is not None and encoding in self.encodings

    def describe(self) -> str:
        """One log line: which encodings use cv_bridge, which the codec, and why."""
        if self.cv_bridge is None:
            return 'image conversion: built-in codec (cv_bridge does not import)'
        codec = [name for name in ENCODINGS if name not in self.encodings]
        text = 'image conversion: cv_bridge for ' + (', '.join(
            name for name in ENCODINGS if name in self.encodings) or 'none')
        if codec:
            first = next(iter(self.failures.values()), '')
            text += (f'; built-in codec for {", ".join(codec)} (cv_bridge round trip failed: '
                     f'{first})')
        return text


CODEC_ONLY = Bridge()
"""No cv_bridge: the built-in codec converts every encoding."""


def sample_pixels(encoding: str) -> np.ndarray:
    """Return a small array laid out as `encoding`, with distinct values in every channel."""
    dtype, channels = ENCODINGS[encoding]
    shape = (3, 5) if channels == 1 else (3, 5, channels)
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return (values / values.size).astype(dtype) if dtype.kind == 'f' else \
        (values * 3 + 1).astype(dtype)


def round_trip_error(cv_bridge: Any, encoding: str) -> Optional[str]:
    """Why `cv_bridge` does not convert `encoding` exactly as the codec does; None if it does.

    Encodes a sample with cv_bridge, compares the message's fields with the codec's, and decodes
    it back with cv_bridge.
    """
    pixels = sample_pixels(encoding)
    expected = encode_image(pixels, encoding)
    try:
        message = cv_bridge.cv2_to_imgmsg(pixels, encoding=encoding)
        decoded = cv_bridge.imgmsg_to_cv2(message, desired_encoding='passthrough')
    except Exception as error:  # noqa: B902 - CvBridgeError, KeyError, cv2.error alike
        return repr(error)
    actual = fields_of(message)
    if replace(actual, data=bytes(actual.data)) != replace(expected, data=bytes(expected.data)):
        return f"{encoding} message fields differ from the codec's"
    if decoded.dtype != pixels.dtype or not np.array_equal(decoded, pixels):
        return f'{encoding} did not decode back to the same pixels'
    return None


def check_bridge(cv_bridge: Optional[Any]) -> Bridge:
    """Round-trip every encoding the node uses through `cv_bridge`; keep the ones that pass."""
    if cv_bridge is None:
        return CODEC_ONLY
    failures = {}
    for encoding in ENCODINGS:
        error = round_trip_error(cv_bridge, encoding)
        if error is not None:
            failures[encoding] = error
    return Bridge(cv_bridge, frozenset(ENCODINGS) - set(failures), failures)


def load_bridge() -> Bridge:
    """Return the system cv_bridge, checked; the codec alone where it is missing or broken."""
    try:
        from cv_bridge import CvBridge
        cv_bridge = CvBridge()
    except Exception:  # noqa: B902 - its compiled module raises anything under a foreign numpy
        cv_bridge = None
    return check_bridge(cv_bridge)


def _decode(message: Any, bridge: Bridge) -> np.ndarray:
    fields = fields_of(message)
    check_layout(fields)
    if not bridge.converts(fields.encoding):
        return decode_image(fields)
    try:
        return bridge.cv_bridge.imgmsg_to_cv2(message, desired_encoding='passthrough')
    except Exception as error:  # noqa: B902 - CvBridgeError and cv2 errors alike
        raise ImageFormatError(f'cv_bridge cannot convert a {fields.encoding} image: '
                               f'{error}') from None


def image_to_colour(message: Any, bridge: Bridge = CODEC_ONLY) -> Tuple[np.ndarray, str]:
    """H x W x 3 uint8 array of a sensor_msgs/Image and its channel order ('rgb' or 'bgr').

    Colour frames keep the camera's order (no conversion); ImageFormatError says what is wrong.
    """
    return to_colour(_decode(message, bridge), str(message.encoding))


def compressed_to_colour(message: Any,
                         max_pixels: int = MAX_IMAGE_PIXELS) -> Tuple[np.ndarray, str]:
    """H x W x 3 uint8 BGR array of a sensor_msgs/CompressedImage, and 'bgr'."""
    return decode_compressed(message.data, str(message.format), max_pixels), 'bgr'


@dataclass(frozen=True)
class MessageDecoder:
    """Turns the node's input messages into arrays: colour frames, depth, intrinsics.

    Attributes:
        bridge: the checked cv_bridge (or the codec alone).
        depth_scale: metres per unit of 16-bit depth images.
        max_pixels: the largest compressed frame decoded (checked from its header).
    """

    bridge: Bridge = CODEC_ONLY
    depth_scale: float = 0.001
    max_pixels: int = MAX_IMAGE_PIXELS

    def colour(self, message: Any) -> Tuple[np.ndarray, str]:
        """Return the pixels and channel order of an Image or a CompressedImage (`format`)."""
        if hasattr(message, 'format'):
            return compressed_to_colour(message, self.max_pixels)
        return image_to_colour(message, self.bridge)

    def check(self, message: Any) -> None:
        """Refuse an Image whose layout, or a CompressedImage whose header, is unusable.

        Cheap (no pixel is touched): the node checks each frame as it arrives, so a bad frame
        never takes a good one's place. ImageFormatError says what is wrong.
        """
        if hasattr(message, 'format'):
            check_compressed(message.data, str(message.format), self.max_pixels)
        else:
            check_layout(fields_of(message))

    def depth(self, message: Any, size: Tuple[int, int]) -> np.ndarray:
        """Return the depth in metres of a 16UC1 / mono16 / 32FC1 Image of the colour `size`."""
        depth = depth_to_metres(message, self.depth_scale, self.bridge)
        if depth.shape != tuple(size):
            raise ImageFormatError(f'depth image {depth.shape[1]} x {depth.shape[0]} is not the '
                                   f'size of the colour image {size[1]} x {size[0]}; depth must '
                                   'be aligned (registered) to the colour image')
        return depth

    @staticmethod
    def intrinsics(message: Any) -> Intrinsics:
        """Return the pinhole intrinsics of a CameraInfo; ImageFormatError when K is unusable."""
        try:
            return Intrinsics.from_k(message.k)
        except ValueError as error:
            raise ImageFormatError(f'camera_info: {error}') from None


def depth_to_metres(message: Any, depth_scale: float,
                    bridge: Bridge = CODEC_ONLY) -> np.ndarray:
    """Float32 depth in metres of a 16UC1 (scaled by `depth_scale`) or 32FC1 image message."""
    try:
        return depth_in_metres(_decode(message, bridge), str(message.encoding), depth_scale)
    except ValueError as error:
        raise ImageFormatError(str(error)) from None
