"""`train`: train LoopTrans on an AGD20K-format dataset (also under torchrun)."""
import argparse
from pathlib import Path

from looptrans_core.affordances import DIVIDES
from looptrans_core.train.config import load_config
from looptrans_core.train.config_cli import add_config_arguments, config_overrides, Flag
from looptrans_core.train.distributed import init_distributed, shutdown
from looptrans_core.train.loop import BEST_FILE, CONFIG_FILE, do_train
from looptrans_core.train.state import RESUME_FILE

COMMAND = 'train'
HELP = 'train LoopTrans on AGD20K (or a synthetic copy); resumable, torchrun for many GPUs'
FLAGS = {
    '--data-root': Flag('data.root', meaning='AGD20K root holding Seen/ and Unseen/'),
    '--divide': Flag('data.divide', choices=sorted(DIVIDES)),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `train`."""
    parser.add_argument('--out', type=Path, help='run folder for checkpoints, log and plot')
    parser.add_argument('--resume', type=Path, metavar='RUN_DIR',
                        help='continue the run in RUN_DIR from its last finished epoch')
    add_config_arguments(parser, FLAGS, 'config/train_seen.yaml (recipe: published)')


def run(args: argparse.Namespace) -> int:
    """Resolve the configuration and train."""
    overrides = config_overrides(args, FLAGS)
    if args.resume is not None:
        run_dir = args.resume
        config = load_config(run_dir / CONFIG_FILE, overrides)
    else:
        if args.out is None:
            raise ValueError('train needs --out RUN_DIR (or --resume RUN_DIR)')
        run_dir = args.out
        if (run_dir / RESUME_FILE).exists():
            raise ValueError(f'{run_dir} already holds a run; continue it with --resume '
                             f'{run_dir} or choose another --out')
        config = load_config(args.config, overrides)
    dist = init_distributed(config.device)
    try:
        state = do_train(config, run_dir, resume=args.resume is not None, dist=dist)
    finally:
        shutdown(dist)
    if dist.is_main:
        print(f'best epoch {state.best_epoch} ({config.select_on} score '
              f'{state.best_score:.4f}): {run_dir / BEST_FILE}')
    return 0
