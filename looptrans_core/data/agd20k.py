"""The AGD20K tree on disk and the datasets read from it.

Layout: `<root>/<divide>/trainset/{exocentric,egocentric}/<affordance>/<object>/*.jpg`,
`testset/egocentric/<affordance>/<object>/*.jpg` and `testset/GT/<affordance>/<object>/<stem>.png`
(grayscale 0-255). Labels are indices into the divide's affordances in published order. Nothing is
cached on disk. Images are read with OpenCV and transformed with tensor ops ('opencv', ours) or
read and transformed with PIL as the published code does ('pil', `pil_transforms`).
"""
import copy
from pathlib import Path
from typing import Dict, List, Tuple, Union

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from looptrans_core.affordances import affordances_for_divide
from looptrans_core.data.pil_transforms import (published_test_image, published_train_transform,
                                                read_pil_rgb, torch_seeded)
from looptrans_core.data.transforms import train_transform
from looptrans_core.image_io import IMAGE_SUFFIXES, read_image_bgr

Folder = Tuple[str, str]
"""(affordance, object)."""
IMAGE_BACKENDS = ('opencv', 'pil')
"""How images are read: 'opencv' (applies EXIF orientation; tensor resize) or 'pil' (as
published: EXIF orientation ignored; torchvision's PIL transforms)."""
PUBLISHED_TRAIN_TRANSFORM = published_train_transform()


def index_images(root: Union[str, Path], divide: str, subset: str) -> Dict[Folder, List[Path]]:
    """Map each (affordance, object) folder of `<root>/<divide>/<subset>` to its sorted images.

    Raises:
        FileNotFoundError: the subset folder is missing.
        ValueError: a folder is not named after an affordance of the divide.
    """
    affordances = affordances_for_divide(divide)
    base = Path(root) / divide / subset
    if not base.is_dir():
        raise FileNotFoundError(f'AGD20K folder not found: {base} (expected '
                                f'<root>/{divide}/{subset}/<affordance>/<object>/*.jpg)')
    index = {}
    for action_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        if action_dir.name not in affordances:
            raise ValueError(f'{action_dir} is not an affordance of the {divide} divide; '
                             f'expected one of {", ".join(affordances)}')
        for object_dir in sorted(p for p in action_dir.iterdir() if p.is_dir()):
            images = sorted(p for p in object_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if images:
                index[(action_dir.name, object_dir.name)] = images
    return index


def read_rgb(path: Path) -> np.ndarray:
    """Read an image file as H x W x 3 uint8 RGB, or raise naming the path."""
    return cv2.cvtColor(read_image_bgr(path), cv2.COLOR_BGR2RGB)


def check_image_backend(image_backend: str) -> str:
    """Return `image_backend` if it is one of IMAGE_BACKENDS, else raise ValueError."""
    if image_backend not in IMAGE_BACKENDS:
        raise ValueError(f'image_backend must be one of {IMAGE_BACKENDS}, got {image_backend!r}')
    return image_backend


def published_train_images(exo_paths: List[Path], ego_path: Path,
                           seed: int) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Read and transform one sample's images as the published TrainData does.

    Torch's global generator is seeded with `seed` for the sample (and restored afterwards);
    the images are transformed in the published order: the first exocentric image, the
    egocentric one, then the companions, so that the crops and flips are the published draws.

    Returns:
        The exocentric tensors in the order of `exo_paths`, and the egocentric tensor.
    """
    with torch_seeded(seed):
        first = PUBLISHED_TRAIN_TRANSFORM(read_pil_rgb(exo_paths[0]))
        ego = PUBLISHED_TRAIN_TRANSFORM(read_pil_rgb(ego_path))
        companions = [PUBLISHED_TRAIN_TRANSFORM(read_pil_rgb(p)) for p in exo_paths[1:]]
    return [first] + companions, ego


class AGD20KTrainSet(Dataset):
    """Training samples: 3 exocentric images of one folder, 1 egocentric image, the label.

    Item `i` is built around the i-th exocentric image; the other exocentric images are drawn
    from its folder (distinct when the folder has more than `num_exo` images, else with
    repetition) and the egocentric one from the same affordance/object. Every random choice
    comes from a generator seeded by (seed, epoch, i): call `set_epoch` each epoch. With
    `image_backend='pil'` that generator seeds torch for the published PIL chain
    (`published_train_images`).

    Items are dicts: 'exo' (num_exo, 3, 224, 224) float, 'ego' (3, 224, 224) float,
    'label' int.
    """

    def __init__(self, root: Union[str, Path], divide: str, seed: int = 42,
                 num_exo: int = 3, image_backend: str = 'opencv') -> None:
        self.image_backend = check_image_backend(image_backend)
        self.affordances = affordances_for_divide(divide)
        self.exo_index = index_images(root, divide, 'trainset/exocentric')
        self.ego_index = index_images(root, divide, 'trainset/egocentric')
        missing = sorted(set(self.exo_index) - set(self.ego_index))
        if missing:
            raise ValueError(f'{Path(root) / divide / "trainset/egocentric"} has no images for '
                             f'(affordance, object) {missing}, which have exocentric images')
        self.items = [(folder, i) for folder, paths in self.exo_index.items()
                      for i in range(len(paths))]
        self.seed, self.num_exo, self.epoch = seed, num_exo, 0

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        """Draw different companions, egocentric images and crops in each epoch."""
        self.epoch = epoch

    def split(self, fraction: float, seed: int = 0) -> Tuple['AGD20KTrainSet', 'AGD20KTrainSet']:
        """Split the items into (rest, held out), holding out `fraction` of them at random."""
        if not 0 < fraction < 1:
            raise ValueError(f'validation fraction must be in (0, 1), got {fraction}')
        order = np.random.default_rng(seed).permutation(len(self.items))
        count = min(len(order) - 1, max(1, round(fraction * len(order))))
        held_out, rest = copy.copy(self), copy.copy(self)
        held_out.items = [self.items[i] for i in sorted(order[:count])]
        rest.items = [self.items[i] for i in sorted(order[count:])]
        return rest, held_out

    def __getitem__(self, index: int) -> Dict[str, Union[torch.Tensor, int]]:
        folder, position = self.items[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        exo_paths, ego_path = self.draw_paths(folder, position, rng)
        exo, ego = self._transformed(exo_paths, ego_path, rng)
        return {'exo': torch.stack(exo), 'ego': ego, 'label': self.affordances.index(folder[0])}

    def draw_paths(self, folder: Folder, position: int,
                   rng: np.random.Generator) -> Tuple[List[Path], Path]:
        """Draw a sample's images: (exocentric paths, the `position`-th first; egocentric path)."""
        folder_paths = self.exo_index[folder]
        exo_paths = [folder_paths[position]] + self._companions(folder_paths, position, rng)
        ego_paths = self.ego_index[folder]
        return exo_paths, ego_paths[rng.integers(len(ego_paths))]

    def _transformed(self, exo_paths: List[Path], ego_path: Path,
                     rng: np.random.Generator) -> Tuple[List[torch.Tensor], torch.Tensor]:
        if self.image_backend == 'pil':
            return published_train_images(exo_paths, ego_path, int(rng.integers(2 ** 63)))
        exo = [train_transform(read_rgb(p), rng) for p in exo_paths]
        return exo, train_transform(read_rgb(ego_path), rng)

    def _companions(self, paths: List[Path], position: int,
                    rng: np.random.Generator) -> List[Path]:
        if len(paths) > self.num_exo:
            others = [i for i in range(len(paths)) if i != position]
            picks = rng.choice(others, self.num_exo - 1, replace=False)
        else:
            picks = rng.integers(len(paths), size=self.num_exo - 1)
        return [paths[i] for i in picks]


class AGD20KTestSet(Dataset):
    """Test images with their GT maps; images without a GT file are skipped and counted.

    Items are dicts: 'image' H x W x 3 uint8 RGB, 'gt' H' x W' uint8, 'label' int and 'path'
    (`<affordance>/<object>/<file>`, relative to testset/egocentric). With
    `image_backend='pil'` the image is read and resized to 224 x 224 with PIL, as published.
    """

    def __init__(self, root: Union[str, Path], divide: str,
                 image_backend: str = 'opencv') -> None:
        self.image_backend = check_image_backend(image_backend)
        self.affordances = affordances_for_divide(divide)
        self.gt_root = Path(root) / divide / 'testset/GT'
        if not self.gt_root.is_dir():
            raise FileNotFoundError(f'AGD20K GT folder not found: {self.gt_root}')
        self.items: List[Tuple[Path, Path, str]] = []
        self.skipped_paths: List[str] = []
        for (action, obj), paths in index_images(root, divide, 'testset/egocentric').items():
            for path in paths:
                relative = f'{action}/{obj}/{path.name}'
                gt_path = self.gt_root / action / obj / f'{path.stem}.png'
                if gt_path.is_file():
                    self.items.append((path, gt_path, relative))
                else:
                    self.skipped_paths.append(relative)

    @property
    def skipped(self) -> int:
        """How many test images have no GT file."""
        return len(self.skipped_paths)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Dict[str, Union[np.ndarray, int, str]]:
        path, gt_path, relative = self.items[index]
        image = published_test_image(path) if self.image_backend == 'pil' else read_rgb(path)
        gt = cv2.imread(str(gt_path), cv2.IMREAD_GRAYSCALE)
        if gt is None:
            raise ValueError(f'cannot read GT map {gt_path}: unreadable or not an image')
        return {'image': image, 'gt': gt, 'path': relative,
                'label': self.affordances.index(relative.split('/')[0])}
