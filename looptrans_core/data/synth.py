"""Write a synthetic dataset in the exact AGD20K layout.

`<out>/<divide>/trainset/{exocentric,egocentric}/<action>/<object>/*.jpg`,
`testset/egocentric/<action>/<object>/*.jpg` and `testset/GT/<action>/<object>/<stem>.png`.
`render_scene` (from `synth_scene`) draws one egocentric scene for demos and cameras.
Every image has its own random stream derived from the seed and its place in the tree, so a seed
gives the same files whatever else changes. In the Unseen divide the objects of
`UNSEEN_TEST_OBJECTS` appear only in the test set and the others only in the training set.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np

from looptrans_core.affordances import affordances_for_divide
from looptrans_core.data.synth_objects import OBJECTS, SynthObject, UNSEEN_TEST_OBJECTS
from looptrans_core.data.synth_scene import ego_scene, exo_scene, render_scene, Scene
from looptrans_core.image_io import write_map_png

__all__ = ['generate', 'render_scene', 'SIZES', 'SynthSize']

ROLES = ('exocentric', 'egocentric', 'test')


@dataclass(frozen=True)
class SynthSize:
    """How much to generate.

    Attributes:
        image: mean image side in pixels (each side varies by -20% to +25%).
        exocentric: exocentric training images per action/object folder.
        egocentric: egocentric training images per action/object folder.
        test: test images (each with a GT map) per action/object folder.
    """

    image: int
    exocentric: int
    egocentric: int
    test: int


SIZES: Dict[str, SynthSize] = {
    'small': SynthSize(image=128, exocentric=3, egocentric=2, test=2),
    'medium': SynthSize(image=224, exocentric=16, egocentric=8, test=4),
}


def folder_pairs(divide: str, role: str) -> List[Tuple[str, SynthObject]]:
    """Return the (action, object) folders of `role` ('exocentric', 'egocentric' or 'test')."""
    actions = affordances_for_divide(divide)
    pairs = [(action, obj) for obj in OBJECTS for action in obj.affordances if action in actions]
    if divide != 'Unseen':
        return pairs
    held_out = role == 'test'
    return [(a, obj) for a, obj in pairs if (obj.name in UNSEEN_TEST_OBJECTS) == held_out]


def image_size(rng: np.random.Generator, side: int) -> Tuple[int, int]:
    """Draw a random (height, width) around `side`."""
    return int(side * rng.uniform(0.8, 1.25)), int(side * rng.uniform(0.8, 1.25))


def draw(role: str, action: str, obj: SynthObject, seed: int, index: int,
         side: int) -> Scene:
    """Draw the scene of one file from its own random stream."""
    key = [seed, ROLES.index(role), OBJECTS.index(obj), sorted(obj.affordances).index(action),
           index]
    rng = np.random.default_rng(key)
    size = image_size(rng, side)
    if role == 'exocentric':
        return exo_scene(rng, size, obj, action)
    return ego_scene(rng, size, obj)


def write_rgb(path: Path, image: np.ndarray) -> None:
    """Write an RGB image (JPEG or PNG by suffix), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise ValueError(f'could not write {path}')


def generate(out: Path, divide: str = 'Seen', size: str = 'small', seed: int = 0) -> int:
    """Write the synthetic `divide` under `out/<divide>`; return the number of images written.

    Raises:
        ValueError: unknown divide or size, or `out/<divide>` exists and is not empty.
    """
    affordances_for_divide(divide)
    if size not in SIZES:
        raise ValueError(f'unknown size {size!r}; expected one of {sorted(SIZES)}')
    root = Path(out) / divide
    if root.exists() and any(root.iterdir()):
        raise ValueError(f'{root} already exists and is not empty; choose another --out')
    counts = SIZES[size]
    written = 0
    for role in ROLES:
        folder = root / ('testset/egocentric' if role == 'test' else f'trainset/{role}')
        for action, obj in folder_pairs(divide, role):
            for index in range(getattr(counts, 'test' if role == 'test' else role)):
                scene = draw(role, action, obj, seed, index, counts.image)
                stem = f'{obj.name}_{index:06d}'
                write_rgb(folder / action / obj.name / f'{stem}.jpg', scene.image)
                if role == 'test':
                    write_map_png(root / 'testset/GT' / action / obj.name / f'{stem}.png',
                                  scene.heatmap(action))
                written += 1
    return written
