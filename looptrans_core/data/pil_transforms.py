"""The published code's image path: PIL decoding and torchvision's PIL transforms.

`data.image_backend: pil` (set by `recipe: published`) reads AGD20K this way:
`Image.open(path).convert('RGB')`, which ignores a file's EXIF orientation, then for training
images Resize((256, 256)) -> RandomCrop(224) -> RandomHorizontalFlip() -> ToTensor() ->
Normalize(ImageNet) and for test images Resize((224, 224)), all on PIL images (PIL's
antialiased bilinear filter). The random draws come from torch's global generator, as published.
"""
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError
import torch
from torchvision import transforms

from looptrans_core.model.backbone_registry import IMAGENET_MEAN, IMAGENET_STD

TEST_SIZE = 224
"""Side of the published test images (the evaluation's input size)."""


def read_pil_rgb(path: Path) -> Image.Image:
    """Read an image file as a PIL RGB image, as published (EXIF orientation not applied).

    Raises:
        ValueError: the file is missing, unreadable or not an image.
    """
    try:
        with Image.open(path) as image:
            return image.convert('RGB')
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError(f'cannot read image {path}: missing, unreadable or not an image '
                         f'({error})') from error


def published_train_transform(resize: int = 256, crop: int = 224,
                              mean: Tuple[float, ...] = IMAGENET_MEAN,
                              std: Tuple[float, ...] = IMAGENET_STD) -> transforms.Compose:
    """Return the published training chain: PIL image -> normalised 3 x crop x crop tensor."""
    return transforms.Compose([
        transforms.Resize((resize, resize)),
        transforms.RandomCrop(crop),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=mean, std=std)])


def published_test_image(path: Path, size: int = TEST_SIZE) -> np.ndarray:
    """Read a test image as published and resize it to size x size; H x W x 3 uint8 RGB.

    The evaluation's ToTensor/Normalize step (`preprocess.normalise_batch`) then leaves the size
    as it is, so the model sees exactly the published Resize -> ToTensor -> Normalize tensor.
    """
    return np.array(transforms.Resize((size, size))(read_pil_rgb(path)))


@contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Seed torch's global CPU generator for the block and restore its state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
