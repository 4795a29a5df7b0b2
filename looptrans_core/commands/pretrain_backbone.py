"""`pretrain-backbone`: teach a small ViT objects from image-level labels on synthetic data."""
import argparse

from looptrans_core.cli_args import add_training_arguments, check_training_arguments
from looptrans_core.model.backbone_registry import list_backbones
from looptrans_core.train.pretrain_backbone import (BACKBONE_FILE, pretrain_backbone,
                                                    PretrainConfig)

COMMAND = 'pretrain-backbone'
HELP = ('pretrain a small ViT by object classification of training images (no part masks, no '
        'GT maps) for CPU training on synthetic data')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `pretrain-backbone`."""
    defaults = PretrainConfig('')
    add_training_arguments(parser, BACKBONE_FILE, defaults)
    parser.add_argument('--backbone', default=defaults.backbone, choices=list_backbones())


def run(args: argparse.Namespace) -> int:
    """Pretrain and write the backbone file."""
    check_training_arguments(args)
    config = PretrainConfig(str(args.data_root), args.divide, args.backbone, args.epochs,
                            args.batch_size, args.lr, seed=args.seed, device=args.device)
    pretrain_backbone(config, args.out)
    path = args.out / BACKBONE_FILE
    print(f'wrote {path}; train with --backbone {args.backbone} and '
          f'model.backbone_weights={path}')
    return 0
