"""`pretrain-backbone`: teach a small ViT objects from image-level labels on synthetic data."""
import argparse
from pathlib import Path

from looptrans_core.model.backbone_registry import list_backbones
from looptrans_core.train.config import load_config
from looptrans_core.train.config_cli import (add_config_arguments, config_overrides, Flag,
                                             RUN_FLAGS)
from looptrans_core.train.pretrain_backbone import (BACKBONE_FILE, pretrain_backbone,
                                                    PRETRAIN_CONFIG_FILE, PretrainConfig)

COMMAND = 'pretrain-backbone'
HELP = ('pretrain a small ViT by object classification of training images (no part masks, no '
        'GT maps) for CPU training on synthetic data')
FLAGS = {**RUN_FLAGS, '--backbone': Flag('backbone', choices=list_backbones())}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `pretrain-backbone`."""
    parser.add_argument('--out', required=True, type=Path,
                        help=f'output folder: OUT/{BACKBONE_FILE} and OUT/{PRETRAIN_CONFIG_FILE}')
    add_config_arguments(parser, FLAGS, f'a saved {PRETRAIN_CONFIG_FILE}')


def run(args: argparse.Namespace) -> int:
    """Resolve the configuration, pretrain and write the backbone file."""
    config = load_config(args.config, config_overrides(args, FLAGS), PretrainConfig)
    pretrain_backbone(config, args.out)
    path = args.out / BACKBONE_FILE
    print(f'wrote {path}; train with model.backbone={config.backbone} and '
          f'model.backbone_weights={path}')
    return 0
