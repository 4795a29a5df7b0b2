"""`pretrain-backbone`: teach a small ViT objects from image-level labels on synthetic data."""
import argparse
from pathlib import Path

from looptrans_core.affordances import DIVIDES
from looptrans_core.model.backbone_registry import list_backbones
from looptrans_core.train.pretrain_backbone import (BACKBONE_FILE, pretrain_backbone,
                                                    PretrainConfig)

COMMAND = 'pretrain-backbone'
HELP = ('pretrain a small ViT by object classification of training images (no part masks, no '
        'GT maps) for CPU training on synthetic data')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `pretrain-backbone`."""
    defaults = PretrainConfig('')
    parser.add_argument('--data-root', required=True, type=Path, help='AGD20K-format root')
    parser.add_argument('--divide', default='Seen', choices=sorted(DIVIDES))
    parser.add_argument('--out', required=True, type=Path,
                        help=f'output folder; the weights go to OUT/{BACKBONE_FILE}')
    parser.add_argument('--backbone', default=defaults.backbone, choices=list_backbones())
    parser.add_argument('--epochs', type=int, default=defaults.epochs)
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--lr', type=float, default=defaults.lr)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--device', default='auto', help="'auto', 'cpu', 'cuda' or 'cuda:N'")


def run(args: argparse.Namespace) -> int:
    """Pretrain and write the backbone file."""
    if args.epochs < 1 or args.batch_size < 1:
        raise ValueError(f'--epochs and --batch-size must be >= 1, got {args.epochs} and '
                         f'{args.batch_size}')
    config = PretrainConfig(str(args.data_root), args.divide, args.backbone, args.epochs,
                            args.batch_size, args.lr, seed=args.seed, device=args.device)
    pretrain_backbone(config, args.out)
    path = args.out / BACKBONE_FILE
    print(f'wrote {path}; train with --backbone {args.backbone} and '
          f'model.backbone_weights={path}')
    return 0
