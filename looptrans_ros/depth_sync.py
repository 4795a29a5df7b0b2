"""Depth images in metres (colour and depth are paired by message_filters in the node)."""
import numpy as np

DEPTH_ENCODINGS = ('16UC1', 'mono16', '32FC1')


def depth_in_metres(pixels: np.ndarray, encoding: str, depth_scale: float) -> np.ndarray:
    """Float32 depth in metres: 16-bit values times `depth_scale` (0.001 for mm), 32FC1 as is."""
    if encoding not in DEPTH_ENCODINGS:
        raise ValueError(f'depth image encoding {encoding!r} is not a depth encoding; accepted: '
                         f'{", ".join(DEPTH_ENCODINGS)}')
    if encoding == '32FC1':
        return pixels.astype(np.float32, copy=False)
    return pixels.astype(np.float32) * np.float32(depth_scale)
