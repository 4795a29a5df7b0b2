"""Encoded test images: a small PNG whose header claims any size (a decompression bomb)."""
import struct
import zlib

import cv2
import numpy as np


def png_declaring(width: int, height: int) -> bytes:
    """Return a valid 4 x 4 PNG whose header is rewritten to claim `width` x `height`."""
    ok, buffer = cv2.imencode('.png', np.zeros((4, 4, 3), np.uint8))
    assert ok
    data = bytearray(buffer.tobytes())
    data[16:24] = struct.pack('>II', width, height)
    data[29:33] = struct.pack('>I', zlib.crc32(bytes(data[12:29])))
    return bytes(data)
