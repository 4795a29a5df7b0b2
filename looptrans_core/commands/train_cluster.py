"""`train-cluster`: train the part-cluster module on AGD20K images without labels."""
import argparse
from pathlib import Path

from looptrans_core.affordances import DIVIDES
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE, list_backbones
from looptrans_core.model.cluster import CLUSTER_FORWARDS
from looptrans_core.train.cluster_train import CLUSTER_FILE, ClusterTrainConfig, train_cluster

COMMAND = 'train-cluster'
HELP = 'train the part-cluster module (modularity loss, no labels) for LoopTrans training'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `train-cluster`."""
    defaults = ClusterTrainConfig('')
    parser.add_argument('--data-root', required=True, type=Path, help='AGD20K root')
    parser.add_argument('--divide', default='Seen', choices=sorted(DIVIDES))
    parser.add_argument('--out', required=True, type=Path,
                        help=f'output folder; the module goes to OUT/{CLUSTER_FILE}')
    parser.add_argument('--backbone', default=DEFAULT_BACKBONE, choices=list_backbones())
    parser.add_argument('--backbone-weights', default='hub',
                        help="'hub', a local DINO file, or 'none' for random weights")
    parser.add_argument('--forward', default=defaults.forward_mode, choices=CLUSTER_FORWARDS)
    parser.add_argument('--layers', type=int, default=defaults.num_layers)
    parser.add_argument('--epochs', type=int, default=defaults.epochs)
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--lr', type=float, default=defaults.lr)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--device', default='auto', help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--num-workers', type=int, default=defaults.num_workers)


def run(args: argparse.Namespace) -> int:
    """Train and write the cluster file."""
    weights = None if args.backbone_weights == 'none' else args.backbone_weights
    config = ClusterTrainConfig(
        str(args.data_root), args.divide, args.backbone, weights, args.forward, args.layers,
        args.epochs, args.batch_size, args.lr, args.seed, args.device, args.num_workers)
    train_cluster(config, args.out)
    print(f'wrote {args.out / CLUSTER_FILE}; train with model.cluster={args.out / CLUSTER_FILE}')
    return 0
