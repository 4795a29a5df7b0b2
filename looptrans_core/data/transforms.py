"""The published training transform on tensors, with its random choices from a given generator.

Resize((256, 256)) -> RandomCrop(224) -> RandomHorizontalFlip -> ImageNet normalisation, done
with torchvision's functional ops so that a dataset item is a pure function of its seed. The
resize is torchvision's antialiased tensor resize, within one grey level of PIL's bilinear;
`pil_transforms` holds the published PIL chain itself (`data.image_backend: pil`).
"""
from typing import Tuple

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

from looptrans_core.model.backbone_registry import IMAGENET_MEAN, IMAGENET_STD


def train_transform(image: np.ndarray, rng: np.random.Generator, resize: int = 256,
                    crop: int = 224, mean: Tuple[float, ...] = IMAGENET_MEAN,
                    std: Tuple[float, ...] = IMAGENET_STD) -> torch.Tensor:
    """Transform an H x W x 3 uint8 RGB image into a normalised 3 x crop x crop float tensor."""
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    tensor = TF.resize(tensor, [resize, resize], antialias=True)
    top, left = (int(v) for v in rng.integers(0, resize - crop + 1, size=2))
    tensor = TF.crop(tensor, top, left, crop, crop)
    if rng.random() < 0.5:
        tensor = TF.horizontal_flip(tensor)
    return TF.normalize(TF.to_dtype(tensor, torch.float32, scale=True), list(mean), list(std))
