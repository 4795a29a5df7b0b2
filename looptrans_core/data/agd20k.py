"""The AGD20K tree on disk and the datasets read from it.

Layout: `<root>/<divide>/trainset/{exocentric,egocentric}/<affordance>/<object>/*.jpg`,
`testset/egocentric/<affordance>/<object>/*.jpg` and `testset/GT/<affordance>/<object>/<stem>.png`
(grayscale 0-255). Labels are indices into the divide's affordances in published order. Nothing is
cached on disk.
"""
import copy
from pathlib import Path
from typing import Dict, List, Tuple, Union

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from looptrans_core.affordances import affordances_for_divide
from looptrans_core.data.transforms import train_transform
from looptrans_core.image_io import IMAGE_SUFFIXES, read_image_bgr

Folder = Tuple[str, str]
"""(affordance, object)."""


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


class AGD20KTrainSet(Dataset):
    """Training samples: 3 exocentric images of one folder, 1 egocentric image, the label.

    Item `i` is built around the i-th exocentric image; the other exocentric images are drawn
    from its folder (distinct when the folder has more than `num_exo` images, else with
    repetition) and the egocentric one from the same affordance/object. Every random choice
    comes from a generator seeded by (seed, epoch, i): call `set_epoch` each epoch.

    Items are dicts: 'exo' (num_exo, 3, 224, 224) float, 'ego' (3, 224, 224) float,
    'label' int.
    """

    def __init__(self, root: Union[str, Path], divide: str, seed: int = 42,
                 num_exo: int = 3) -> None:
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
        folder_paths = self.exo_index[folder]
        exo_paths = [folder_paths[position]] + self._companions(folder_paths, position, rng)
        ego_paths = self.ego_index[folder]
        ego_path = ego_paths[rng.integers(len(ego_paths))]
        exo = torch.stack([train_transform(read_rgb(p), rng) for p in exo_paths])
        return {'exo': exo, 'ego': train_transform(read_rgb(ego_path), rng),
                'label': self.affordances.index(folder[0])}

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
    (`<affordance>/<object>/<file>`, relative to testset/egocentric).
    """

    def __init__(self, root: Union[str, Path], divide: str) -> None:
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
        image = read_rgb(path)
        gt = cv2.imread(str(gt_path), cv2.IMREAD_GRAYSCALE)
        if gt is None:
            raise ValueError(f'cannot read GT map {gt_path}: unreadable or not an image')
        return {'image': image, 'gt': gt, 'path': relative,
                'label': self.affordances.index(relative.split('/')[0])}
