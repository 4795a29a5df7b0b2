"""Indexing AGD20K trees, the training and test datasets, and their errors."""
import re

import numpy as np
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.data.agd20k import AGD20KTestSet, AGD20KTrainSet, index_images
from looptrans_core.data.synth import SIZES
from synth_fixtures import synth_copy, synth_root  # noqa: F401


def test_index_lists_every_folder(synth_root):  # noqa: F811
    index = index_images(synth_root, 'Seen', 'trainset/exocentric')
    assert ('cut_with', 'knife') in index and ('sit_on', 'bicycle') in index
    assert all(len(paths) == SIZES['small'].exocentric for paths in index.values())
    assert all(p.suffix == '.jpg' for paths in index.values() for p in paths)


def test_train_item_shapes_labels_and_normalisation(synth_root):  # noqa: F811
    dataset = AGD20KTrainSet(synth_root, 'Seen', seed=1)
    assert len(dataset) == sum(len(p) for p in dataset.exo_index.values())
    item = dataset[0]
    folder, _ = dataset.items[0]
    assert item['exo'].shape == (3, 3, 224, 224) and item['exo'].dtype == torch.float32
    assert item['ego'].shape == (3, 224, 224)
    assert item['label'] == SEEN_AFFORDANCES.index(folder[0])
    assert item['exo'].min() < -1 and item['exo'].max() > 1  # ImageNet-normalised, not [0, 1]


def test_train_items_are_seeded(synth_root):  # noqa: F811
    first = AGD20KTrainSet(synth_root, 'Seen', seed=3)
    again = AGD20KTrainSet(synth_root, 'Seen', seed=3)
    assert torch.equal(first[5]['exo'], again[5]['exo'])
    assert torch.equal(first[5]['ego'], again[5]['ego'])
    again.set_epoch(1)
    assert not torch.equal(first[5]['exo'], again[5]['exo'])


def test_companions_repeat_only_in_small_folders(synth_root):  # noqa: F811
    dataset = AGD20KTrainSet(synth_root, 'Seen')
    paths = [f'p{i}' for i in range(6)]
    for seed in range(20):
        picks = dataset._companions(paths, 2, np.random.default_rng(seed))
        assert len(set(picks)) == 2 and 'p2' not in picks
    small = dataset._companions(paths[:3], 0, np.random.default_rng(0))
    assert len(small) == 2 and set(small) <= set(paths[:3])


def test_validation_split_is_seeded_and_disjoint(synth_root):  # noqa: F811
    dataset = AGD20KTrainSet(synth_root, 'Seen')
    rest, held_out = dataset.split(0.25, seed=7)
    assert len(held_out) == round(0.25 * len(dataset))
    assert len(rest) + len(held_out) == len(dataset)
    assert not set(rest.items) & set(held_out.items)
    assert held_out.items == dataset.split(0.25, seed=7)[1].items
    assert held_out.items != dataset.split(0.25, seed=8)[1].items
    with pytest.raises(ValueError, match='fraction must be in'):
        dataset.split(1.0)


def test_test_set_items(synth_root):  # noqa: F811
    dataset = AGD20KTestSet(synth_root, 'Seen')
    assert len(dataset) == len(list((synth_root / 'Seen/testset/egocentric').rglob('*.jpg')))
    assert dataset.skipped == 0
    item = dataset[0]
    action, obj, name = item['path'].split('/')
    assert item['label'] == SEEN_AFFORDANCES.index(action)
    assert item['image'].dtype == np.uint8 and item['image'].shape[2] == 3
    assert item['gt'].dtype == np.uint8 and item['gt'].shape == item['image'].shape[:2]


def test_missing_gt_is_skipped_and_counted(synth_copy):  # noqa: F811
    gt_files = sorted((synth_copy / 'Seen/testset/GT').rglob('*.png'))
    gt_files[0].unlink()
    gt_files[1].unlink()
    dataset = AGD20KTestSet(synth_copy, 'Seen')
    assert dataset.skipped == 2 and len(dataset) == len(gt_files) - 2
    assert f'{gt_files[0].parent.parent.name}/{gt_files[0].parent.name}/' \
        f'{gt_files[0].stem}.jpg' in dataset.skipped_paths


def test_missing_folders_name_the_path(synth_copy, tmp_path):  # noqa: F811
    with pytest.raises(FileNotFoundError, match='Unseen/trainset/exocentric'):
        AGD20KTrainSet(synth_copy, 'Unseen')
    ego = synth_copy / 'Seen/trainset/egocentric/cut_with/knife'
    for path in ego.iterdir():
        path.unlink()
    with pytest.raises(ValueError, match=r"\('cut_with', 'knife'\)"):
        AGD20KTrainSet(synth_copy, 'Seen')
    (synth_copy / 'Seen/testset/GT').rename(tmp_path / 'moved')
    with pytest.raises(FileNotFoundError, match='testset/GT'):
        AGD20KTestSet(synth_copy, 'Seen')


def test_unknown_affordance_folder(synth_copy):  # noqa: F811
    (synth_copy / 'Seen/testset/egocentric/juggle/ball').mkdir(parents=True)
    with pytest.raises(ValueError, match='juggle is not an affordance of the Seen divide'):
        AGD20KTestSet(synth_copy, 'Seen')


def test_unreadable_images_name_the_path(synth_copy):  # noqa: F811
    dataset = AGD20KTestSet(synth_copy, 'Seen')
    image_path = dataset.items[0][0]
    image_path.write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match=re.escape(str(image_path))):
        dataset[0]
    gt_path = dataset.items[1][1]
    gt_path.write_bytes(b'not a png')
    with pytest.raises(ValueError, match=re.escape(str(gt_path))):
        dataset[1]
    train = AGD20KTrainSet(synth_copy, 'Seen')
    folder, position = train.items[0]
    broken = train.exo_index[folder][position]
    broken.write_bytes(b'')
    with pytest.raises(ValueError, match=re.escape(str(broken))):
        train[0]
