"""Image checks and the published test transform, run on the model's device."""
from typing import Sequence, Tuple

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

CHANNEL_ORDERS = ('rgb', 'bgr')


def check_image(image: np.ndarray, name: str = 'image') -> np.ndarray:
    """Return `image` if it is an H x W x 3 uint8 array, else raise naming it as `name`.

    Raises:
        TypeError: not a numpy array, or not of dtype uint8.
        ValueError: not H x W x 3, or H or W is 0.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f'{name} must be a numpy array (H x W x 3, uint8), '
                        f'got {type(image).__name__}')
    if image.dtype != np.uint8:
        raise TypeError(f'{name} must have dtype uint8 (0-255), got {image.dtype}')
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'{name} must be H x W x 3, got shape {image.shape}')
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f'{name} is empty: shape {image.shape}')
    return image


def check_channel_order(channel_order: str) -> str:
    """Return `channel_order` if it is one of CHANNEL_ORDERS, else raise ValueError."""
    if not isinstance(channel_order, str) or channel_order not in CHANNEL_ORDERS:
        raise ValueError(f'channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}')
    return channel_order


def to_device_uint8(image: np.ndarray, channel_order: str, device: torch.device) -> torch.Tensor:
    """Copy one H x W x 3 uint8 image to `device` as a 3 x H x W RGB uint8 tensor."""
    check_channel_order(channel_order)
    tensor = torch.from_numpy(np.ascontiguousarray(check_image(image)))
    if device.type == 'cuda':
        tensor = tensor.pin_memory().to(device, non_blocking=True)
    tensor = tensor.permute(2, 0, 1)
    return tensor.flip(0) if channel_order == 'bgr' else tensor


def normalise_batch(images: Sequence[torch.Tensor], size: int, mean: Tuple[float, ...],
                    std: Tuple[float, ...]) -> torch.Tensor:
    """Resize 3 x H x W uint8 tensors to size x size as PIL does, scale to [0, 1], normalise.

    torchvision's antialiased resize of uint8 tensors follows PIL's bilinear filter; it differs
    from PIL by one grey level on about 0.1% of pixels.
    """
    resized = torch.stack([TF.resize(image, [size, size], antialias=True) for image in images])
    batch = resized.float().div_(255.0)
    mean_t = torch.tensor(mean, device=batch.device).view(1, 3, 1, 1)
    std_t = torch.tensor(std, device=batch.device).view(1, 3, 1, 1)
    return batch.sub_(mean_t).div_(std_t)
