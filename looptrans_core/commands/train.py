"""`train`: train LoopTrans on an AGD20K-format dataset (also under torchrun)."""
import argparse
from pathlib import Path

from looptrans_core.affordances import DIVIDES
from looptrans_core.train.config import load_config
from looptrans_core.train.distributed import init_distributed, shutdown
from looptrans_core.train.loop import BEST_FILE, CONFIG_FILE, do_train
from looptrans_core.train.state import RESUME_FILE

COMMAND = 'train'
HELP = 'train LoopTrans on AGD20K (or a synthetic copy); resumable, torchrun for many GPUs'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `train`."""
    parser.add_argument('--data-root', type=Path, help='AGD20K root holding Seen/ and Unseen/')
    parser.add_argument('--divide', choices=sorted(DIVIDES), help='split (default: config)')
    parser.add_argument('--out', type=Path, help='run folder for checkpoints, log and plot')
    parser.add_argument('--config', type=Path,
                        help='YAML config, e.g. config/train_seen.yaml (default: built-in)')
    parser.add_argument('--resume', type=Path, metavar='RUN_DIR',
                        help='continue the run in RUN_DIR from its last finished epoch')
    parser.add_argument('--set', dest='settings', action='append', default=[],
                        metavar='KEY=VALUE', help='override a config value, e.g. optim.lr=0.01')
    parser.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                        help='more overrides, e.g. epochs=10 model.cluster=cluster_seen.pth')


def run(args: argparse.Namespace) -> int:
    """Resolve the configuration and train."""
    overrides = [*args.settings, *args.overrides]
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
    if args.data_root is not None:
        config.data.root = str(args.data_root)
    if args.divide is not None:
        config.data.divide = args.divide
    dist = init_distributed()
    try:
        state = do_train(config, run_dir, resume=args.resume is not None, dist=dist)
    finally:
        shutdown(dist)
    if dist.is_main:
        print(f'best epoch {state.best_epoch} ({config.select_on} score '
              f'{state.best_score:.4f}): {run_dir / BEST_FILE}')
    return 0
