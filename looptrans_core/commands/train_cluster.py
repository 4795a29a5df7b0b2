"""`train-cluster`: train the part-cluster module on AGD20K images without labels."""
import argparse

from looptrans_core.cli_args import add_training_arguments, check_training_arguments
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE, list_backbones
from looptrans_core.model.cluster import CLUSTER_FORWARDS
from looptrans_core.train.cluster_train import CLUSTER_FILE, ClusterTrainConfig, train_cluster

COMMAND = 'train-cluster'
HELP = 'train the part-cluster module (modularity loss, no labels) for LoopTrans training'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `train-cluster`."""
    defaults = ClusterTrainConfig('')
    add_training_arguments(parser, CLUSTER_FILE, defaults)
    parser.add_argument('--backbone', default=DEFAULT_BACKBONE, choices=list_backbones())
    parser.add_argument('--backbone-weights', default='hub',
                        help="'hub', a local DINO file, or 'none' for random weights")
    parser.add_argument('--forward', default=defaults.forward_mode, choices=CLUSTER_FORWARDS)
    parser.add_argument('--layers', type=int, default=defaults.num_layers)
    parser.add_argument('--num-workers', type=int, default=defaults.num_workers)


def run(args: argparse.Namespace) -> int:
    """Train and write the cluster file."""
    check_training_arguments(args)
    weights = None if args.backbone_weights == 'none' else args.backbone_weights
    config = ClusterTrainConfig(
        str(args.data_root), args.divide, args.backbone, weights, args.forward, args.layers,
        args.epochs, args.batch_size, args.lr, args.seed, args.device, args.num_workers)
    train_cluster(config, args.out)
    print(f'wrote {args.out / CLUSTER_FILE}; train with model.cluster={args.out / CLUSTER_FILE}')
    return 0
