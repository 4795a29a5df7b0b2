"""`train-cluster`: train the part-cluster module on AGD20K images without labels."""
import argparse
from pathlib import Path

from looptrans_core.model.backbone_registry import list_backbones
from looptrans_core.model.cluster import CLUSTER_FORWARDS
from looptrans_core.train.cluster_train import (CLUSTER_CONFIG_FILE, CLUSTER_FILE,
                                                ClusterTrainConfig, train_cluster)
from looptrans_core.train.config import load_config
from looptrans_core.train.config_cli import (add_config_arguments, config_overrides, Flag,
                                             optional_path, RUN_FLAGS)

COMMAND = 'train-cluster'
HELP = 'train the part-cluster module (modularity loss, no labels) for LoopTrans training'
FLAGS = {
    **RUN_FLAGS,
    '--backbone': Flag('backbone', choices=list_backbones()),
    '--backbone-weights': Flag('backbone_weights', optional_path,
                               meaning="'hub', a local DINO file, or 'none' for random"),
    '--forward': Flag('forward_mode', choices=CLUSTER_FORWARDS),
    '--layers': Flag('num_layers', int),
    '--num-workers': Flag('num_workers', int),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `train-cluster`."""
    parser.add_argument('--out', required=True, type=Path,
                        help=f'output folder: OUT/{CLUSTER_FILE} and OUT/{CLUSTER_CONFIG_FILE}')
    add_config_arguments(parser, FLAGS, f'a saved {CLUSTER_CONFIG_FILE}')


def run(args: argparse.Namespace) -> int:
    """Resolve the configuration, train and write the cluster file."""
    config = load_config(args.config, config_overrides(args, FLAGS), ClusterTrainConfig)
    train_cluster(config, args.out)
    print(f'wrote {args.out / CLUSTER_FILE}; train with model.cluster={args.out / CLUSTER_FILE}')
    return 0
