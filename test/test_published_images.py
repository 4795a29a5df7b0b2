"""`image_backend='pil'`: AGD20K read and transformed exactly as the published code does.

The expected tensors come from torchvision's PIL transforms written out here, the published
TrainData / TestData chains, on `Image.open(path).convert('RGB')`.
"""
from pathlib import Path
from typing import Tuple

import numpy as np
from PIL import Image, ImageOps
import pytest
import torch
from torchvision import transforms

from looptrans_core.data.agd20k import (AGD20KTestSet, AGD20KTrainSet,
                                        PUBLISHED_TRAIN_TRANSFORM)
from looptrans_core.data.pil_transforms import read_pil_rgb, torch_seeded
from looptrans_core.model.backbone_registry import get_backbone_config
from looptrans_core.preprocess import normalise_batch, to_device_uint8
from synth_fixtures import synth_root  # noqa: F401

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
PUBLISHED_TEST = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor(),
                                     transforms.Normalize(mean=MEAN, std=STD)])
PUBLISHED_TRAIN = transforms.Compose([
    transforms.Resize((256, 256)), transforms.RandomCrop(224), transforms.RandomHorizontalFlip(),
    transforms.ToTensor(), transforms.Normalize(mean=MEAN, std=STD)])
EXIF_ORIENTATION = 0x0112


def published_open(path: Path) -> Image.Image:
    return Image.open(path).convert('RGB')


def pattern(width: int, height: int) -> Image.Image:
    """Draw a seeded noisy gradient, which a rotation, crop or flip changes."""
    rows, cols = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(width * height).integers(0, 60, (height, width, 3))
    base = np.stack([cols * 190 // width, rows * 190 // height, (rows + cols) % 190], axis=-1)
    return Image.fromarray((base + noise).astype(np.uint8))


def write_rotated_test_image(root: Path, suffix: str, size: Tuple[int, int]) -> Path:
    """Write one test image tagged EXIF orientation 6 (rotate 90 degrees) and its GT map."""
    path = root / 'Seen/testset/egocentric/hold/cup' / f'tagged{suffix}'
    path.parent.mkdir(parents=True)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    pattern(*size).save(path, exif=exif)
    gt_path = root / 'Seen/testset/GT/hold/cup/tagged.png'
    gt_path.parent.mkdir(parents=True)
    Image.fromarray(np.full(size[::-1], 128, np.uint8)).save(gt_path)
    return path


def evaluation_input(image: np.ndarray) -> torch.Tensor:
    """Return the tensor `evaluation.label_maps` feeds the default backbone for a test item."""
    config = get_backbone_config('vit_small_patch16_224')
    tensor = to_device_uint8(image, 'rgb', torch.device('cpu'))
    return normalise_batch([tensor], config.input_size, config.mean, config.std)[0]


@pytest.mark.parametrize('suffix', ['.jpg', '.png'])
@pytest.mark.parametrize('size', [(90, 60), (400, 300)])
def test_pil_test_image_is_the_published_tensor_and_ignores_exif(tmp_path, suffix, size):
    path = write_rotated_test_image(tmp_path, suffix, size)
    assert Image.open(path).getexif()[EXIF_ORIENTATION] == 6
    item = AGD20KTestSet(tmp_path, 'Seen', image_backend='pil')[0]
    assert item['image'].shape == (224, 224, 3) and item['gt'].shape == size[::-1]
    ours = evaluation_input(item['image'])
    assert torch.equal(ours, PUBLISHED_TEST(published_open(path)))
    assert read_pil_rgb(path).size == size  # stored orientation, as published
    upright = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
    assert upright.size == size[::-1]
    assert not torch.allclose(ours, PUBLISHED_TEST(upright), atol=0.1)


def test_unreadable_image_names_the_path(tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='cannot read image .*broken.jpg'):
        read_pil_rgb(path)


def test_train_transform_is_the_published_chain_under_the_same_torch_seed():
    image = pattern(300, 200)
    outputs = []
    for seed in range(6):
        torch.manual_seed(seed)
        expected = PUBLISHED_TRAIN(image)
        with torch_seeded(seed):
            ours = PUBLISHED_TRAIN_TRANSFORM(image)
        assert ours.shape == (3, 224, 224) and torch.equal(ours, expected)
        outputs.append(ours)
    assert len({tuple(out[0, :, 0].tolist()) for out in outputs}) > 1  # crops and flips vary


def test_pil_train_item_is_the_published_draw_and_leaves_torch_rng_alone(synth_root):  # noqa: F811
    dataset = AGD20KTrainSet(synth_root, 'Seen', seed=5, image_backend='pil')
    index = 7
    state = torch.get_rng_state()
    item = dataset[index]
    assert torch.equal(torch.get_rng_state(), state)
    rng = np.random.default_rng([5, 0, index])
    exo_paths, ego_path = dataset.draw_paths(*dataset.items[index], rng)
    torch.manual_seed(int(rng.integers(2 ** 63)))  # the published order: exo, ego, companions
    first, ego, *companions = [PUBLISHED_TRAIN(published_open(p))
                               for p in [exo_paths[0], ego_path, *exo_paths[1:]]]
    assert torch.equal(item['exo'], torch.stack([first, *companions]))
    assert torch.equal(item['ego'], ego)
    assert torch.equal(dataset[index]['exo'], item['exo'])


def test_unknown_image_backend_is_refused(synth_root):  # noqa: F811
    with pytest.raises(ValueError, match="image_backend must be one of .*got 'cv2'"):
        AGD20KTrainSet(synth_root, 'Seen', image_backend='cv2')
    with pytest.raises(ValueError, match="image_backend must be one of .*got 'cv2'"):
        AGD20KTestSet(synth_root, 'Seen', image_backend='cv2')
