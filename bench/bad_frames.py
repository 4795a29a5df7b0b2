"""The frames a flaky camera sends: good 640 x 480 scenes, and bad frames of every kind in turn.

Each bad kind is one the node must refuse with one clear error (counted as rejected): the raw
kinds break a sensor_msgs/Image's layout, the compressed kinds a CompressedImage's data.
"""
import struct
from typing import Callable, Dict, List

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image

from looptrans_ros.image_codec import encode_compressed, encode_image
from looptrans_ros.synthetic_scenes import SceneSource

SIZE = (480, 640)
SOF_MARKERS = (b'\xff\xc0', b'\xff\xc2')
"""JPEG start-of-frame markers (baseline, progressive): height and width follow them."""


def good_images(count: int = 4, seed: int = 0) -> List[Image]:
    """`count` rgb8 Images of synthetic scenes (headers left for the sender to stamp)."""
    source = SceneSource(SIZE, seed=seed, frames_per_scene=1)
    images = []
    for _ in range(count):
        fields = encode_image(source.next_frame(), 'rgb8')
        images.append(Image(height=fields.height, width=fields.width, encoding=fields.encoding,
                            is_bigendian=0, step=fields.step, data=bytes(fields.data)))
    return images


def good_compressed(count: int = 4, seed: int = 0) -> List[CompressedImage]:
    """`count` JPEG CompressedImages of the same scenes as `good_images`."""
    source = SceneSource(SIZE, seed=seed, frames_per_scene=1)
    return [CompressedImage(format='jpeg', data=encode_compressed(
        cv2.cvtColor(source.next_frame(), cv2.COLOR_RGB2BGR))) for _ in range(count)]


def jpeg_declaring(data: bytes, width: int, height: int) -> bytes:
    """Return the JPEG `data` with its start-of-frame header rewritten to `width` x `height`."""
    start = min(index for index in (data.find(marker) for marker in SOF_MARKERS) if index >= 0)
    out = bytearray(data)
    out[start + 5:start + 9] = struct.pack('>HH', height, width)
    return bytes(out)


def _with(image: Image, **fields) -> Image:
    values = {name: getattr(image, name) for name in
              ('height', 'width', 'encoding', 'is_bigendian', 'step', 'data')}
    values.update(fields)
    return Image(**values)


RAW_KINDS: Dict[str, Callable[[Image], Image]] = {
    'truncated data': lambda good: _with(good, data=bytes(good.data[:len(good.data) // 2])),
    'wrong step': lambda good: _with(good, step=good.step - 1),
    'unknown encoding': lambda good: _with(good, encoding='rgb7'),
    '0x0 image': lambda good: _with(good, height=0, width=0, step=0, data=b''),
}
"""Bad Images, each made from a good one (header left for the sender)."""

COMPRESSED_KINDS: Dict[str, Callable[[CompressedImage], CompressedImage]] = {
    'undecodable JPEG': lambda good: CompressedImage(
        format='jpeg', data=bytes(good.data[:2]) + np.random.default_rng(0).bytes(4096)),
    'decompression bomb': lambda good: CompressedImage(
        format='jpeg', data=jpeg_declaring(bytes(good.data), 65000, 65000)),
    'empty data': lambda good: CompressedImage(format='jpeg', data=b''),
}
"""Bad CompressedImages, each made from a good one; the bomb declares 65000 x 65000 pixels.

Headers are the sender's to stamp, on good and bad frames alike.
"""


def kinds(transport: str) -> Dict[str, Callable]:
    """Return the bad kinds of `transport` ('raw' or 'compressed')."""
    return COMPRESSED_KINDS if transport == 'compressed' else RAW_KINDS
