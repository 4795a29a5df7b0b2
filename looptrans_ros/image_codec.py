"""sensor_msgs/Image fields <-> numpy arrays, without ROS or cv_bridge."""
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import cv2
import numpy as np

from looptrans_core import (check_encoded_header, decode_encoded_image, ImageFormatError,
                            MAX_IMAGE_PIXELS)

ENCODINGS: Dict[str, Tuple[np.dtype, int]] = {
    'rgb8': (np.dtype(np.uint8), 3), 'bgr8': (np.dtype(np.uint8), 3),
    'rgba8': (np.dtype(np.uint8), 4), 'bgra8': (np.dtype(np.uint8), 4),
    'mono8': (np.dtype(np.uint8), 1), '8UC1': (np.dtype(np.uint8), 1),
    'mono16': (np.dtype(np.uint16), 1), '16UC1': (np.dtype(np.uint16), 1),
    '32FC1': (np.dtype(np.float32), 1),
}
"""Encoding -> (element type, channels) of every encoding the codec reads and writes."""

COLOUR_ORDER = {'rgb8': 'rgb', 'bgr8': 'bgr', 'rgba8': 'rgb', 'bgra8': 'bgr'}
"""Channel order of the colour encodings; grey encodings become 'rgb' (all channels equal)."""
DROP_ALPHA = {'rgba8': cv2.COLOR_RGBA2RGB, 'bgra8': cv2.COLOR_BGRA2BGR}


@dataclass(frozen=True)
class ImageFields:
    """The layout fields of a sensor_msgs/Image; `data` is any bytes-like object."""

    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: Any


def layout(encoding: str) -> Tuple[np.dtype, int]:
    """(element type, channels) of `encoding`, or ImageFormatError naming the accepted ones."""
    if encoding not in ENCODINGS:
        raise ImageFormatError(f'unsupported image encoding {encoding!r}; accepted: '
                               f'{", ".join(ENCODINGS)}')
    return ENCODINGS[encoding]


def check_layout(fields: ImageFields) -> int:
    """Validate an image message's size, step and data length; return its bytes per row."""
    dtype, channels = layout(fields.encoding)
    height, width, step = fields.height, fields.width, fields.step
    if height <= 0 or width <= 0:
        raise ImageFormatError(f'image has zero size ({width} x {height}); need width and '
                               'height >= 1')
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageFormatError(f'step {step} is below width x channels x bytes = {row_bytes} for '
                               f'a {width} pixel wide {fields.encoding} image')
    if len(fields.data) < step * height:
        raise ImageFormatError(f'image data has {len(fields.data)} bytes, need step x height = '
                               f'{step} x {height} = {step * height}')
    return row_bytes


def decode_image(fields: ImageFields) -> np.ndarray:
    """Pixel array of an image message: H x W (one channel) or H x W x C, native byte order.

    Honours `step` padding at the end of each row and `is_bigendian`.
    """
    row_bytes = check_layout(fields)
    dtype, channels = layout(fields.encoding)
    height, width, step = fields.height, fields.width, fields.step
    rows = np.frombuffer(fields.data, np.uint8, count=step * height).reshape(height, step)
    order = '>' if fields.is_bigendian else '<'
    pixels = np.ascontiguousarray(rows[:, :row_bytes]).view(dtype.newbyteorder(order))
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.astype(dtype).reshape(shape)


def fields_of(message) -> ImageFields:
    """Read the ImageFields of a sensor_msgs/Image of any message library (rclpy, rosbags)."""
    return ImageFields(int(message.height), int(message.width), str(message.encoding),
                       int(message.is_bigendian), int(message.step), message.data)


def encode_image(pixels: np.ndarray, encoding: str) -> ImageFields:
    """Image fields (little-endian, no padding) of an array laid out as `encoding` requires.

    `data` is a byte view of the pixels, not a copy: a message builder copies it once.
    """
    dtype, channels = layout(encoding)
    shape = (pixels.shape[0], pixels.shape[1]) + (() if channels == 1 else (channels,))
    if pixels.dtype != dtype or pixels.ndim != len(shape) or pixels.shape != shape:
        raise ImageFormatError(f'cannot encode a {pixels.dtype} array of shape {pixels.shape} '
                               f'as {encoding}; it needs {dtype} with shape H x W'
                               + ('' if channels == 1 else f' x {channels}'))
    data = memoryview(np.ascontiguousarray(pixels, dtype.newbyteorder('<'))).cast('B')
    return ImageFields(shape[0], shape[1], encoding, 0, shape[1] * channels * dtype.itemsize,
                       data)


def to_colour(pixels: np.ndarray, encoding: str) -> Tuple[np.ndarray, str]:
    """H x W x 3 uint8 image of a decoded image and its channel order ('rgb' or 'bgr').

    Colour images keep their order (alpha dropped); 16-bit grey is scaled to 8 bits, 32FC1 is
    read as intensity in [0, 1]; grey is repeated into three channels.
    """
    layout(encoding)
    if encoding in COLOUR_ORDER:
        order = COLOUR_ORDER[encoding]
        return (cv2.cvtColor(pixels, DROP_ALPHA[encoding]) if encoding in DROP_ALPHA
                else pixels), order
    if pixels.dtype == np.uint16:
        pixels = (pixels // 257).astype(np.uint8)
    elif pixels.dtype == np.float32:
        pixels = (np.clip(np.nan_to_num(pixels), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB), 'rgb'


def as_bgr(pixels: np.ndarray, order: str) -> np.ndarray:
    """Return the BGR image OpenCV draws on (overlays) of an H x W x 3 image in `order`."""
    return pixels if order == 'bgr' else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)


def decode_compressed(data: bytes, image_format: str = '',
                      max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """H x W x 3 uint8 BGR image of a sensor_msgs/CompressedImage's data (JPEG, PNG...).

    The size declared in the header is checked against `max_pixels` before decoding.
    """
    return decode_encoded_image(bytes(data), _compressed_what(image_format), max_pixels)


def check_compressed(data: bytes, image_format: str = '',
                     max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse a CompressedImage's data whose header is unreadable or declares over `max_pixels`.

    Reads the header only (cheap enough for a subscription callback); decoding can still fail.
    """
    check_encoded_header(bytes(data), _compressed_what(image_format), max_pixels)


def _compressed_what(image_format: str) -> str:
    return f'compressed image (format {image_format!r})'


def encode_compressed(image_bgr: np.ndarray, image_format: str = 'jpeg') -> bytes:
    """Compress a BGR image as 'jpeg' or 'png' for a sensor_msgs/CompressedImage."""
    suffixes = {'jpeg': '.jpg', 'png': '.png'}
    if image_format not in suffixes:
        raise ValueError(f'unknown compressed format {image_format!r}; expected one of '
                         f'{sorted(suffixes)}')
    ok, buffer = cv2.imencode(suffixes[image_format], image_bgr)
    if not ok:
        raise ImageFormatError(f'OpenCV could not encode a {image_bgr.shape} image as '
                               f'{image_format}')
    return buffer.tobytes()
