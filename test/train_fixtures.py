"""A few-folder synthetic tree and a tiny part-cluster file for fast training tests."""
from pathlib import Path
import shutil

import pytest

from looptrans_core.model.cluster import PartCluster
from looptrans_core.train.cluster_io import save_cluster_file
from synth_fixtures import synth_root  # noqa: F401

MINI_FOLDERS = ('cut_with/knife', 'hold/knife', 'sit_on/chair')


@pytest.fixture(scope='session')
def mini_root(synth_root, tmp_path_factory) -> Path:  # noqa: F811
    """Cut the small synthetic tree down to three (affordance, object) folders."""
    root = tmp_path_factory.mktemp('mini')
    for subset in ('trainset/exocentric', 'trainset/egocentric', 'testset/egocentric',
                   'testset/GT'):
        for folder in MINI_FOLDERS:
            shutil.copytree(synth_root / 'Seen' / subset / folder, root / 'Seen' / subset / folder)
    return root


@pytest.fixture(scope='session')
def tiny_cluster_file(tmp_path_factory) -> Path:
    """Write a random 2-layer cluster module for the 64-channel test backbone."""
    path = tmp_path_factory.mktemp('cluster') / 'cluster.safetensors'
    return save_cluster_file(PartCluster(64, num_layers=2), path, 'vit_tiny_test')


def tiny_overrides(cluster: Path):
    """Return overrides that make a training run tiny and fast on CPU."""
    return ['model.backbone=vit_tiny_test', 'model.backbone_weights=null',
            f'model.cluster={cluster}', 'data.num_workers=0', 'batch_size=3', 'device=cpu',
            'eval_batch_size=8', 'log_every=1']
