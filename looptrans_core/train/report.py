"""Run reporting: a log file beside stdout, the epoch history as JSON and a PNG plot."""
import json
import logging
from pathlib import Path
import sys
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the headless backend)

LOG_FILE = 'train.log'
HISTORY_FILE = 'history.json'
PLOT_FILE = 'curves.png'
METRICS = ('KLD', 'SIM', 'NSS')


def make_logger(run_dir: Path, name: str = 'looptrans.train') -> logging.Logger:
    """Return a logger writing to `run_dir/train.log` (appending on resume) and stdout."""
    logger = logging.getLogger(f'{name}.{run_dir.resolve()}')
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not logger.handlers:
        formatter = logging.Formatter('%(asctime)s %(message)s', '%Y-%m-%d %H:%M:%S')
        handlers = (logging.FileHandler(run_dir / LOG_FILE), logging.StreamHandler(sys.stdout))
        for handler in handlers:
            handler.setFormatter(formatter)
            logger.addHandler(handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    """Close and detach the logger's handlers (so its log file is released)."""
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)


def write_history(run_dir: Path, history: List[Dict[str, float]]) -> None:
    """Write the per-epoch records as JSON and plot them."""
    (run_dir / HISTORY_FILE).write_text(json.dumps(history, indent=2))
    plot_history(history, run_dir / PLOT_FILE)


def plot_history(history: List[Dict[str, float]], path: Path) -> None:
    """Losses (left) and test metrics (right) per epoch."""
    epochs = [record['epoch'] for record in history]
    figure, (losses, metrics) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ('train_loss', 'val_loss'):
        if any(key in record for record in history):
            losses.plot(epochs, [record.get(key, float('nan')) for record in history], 'o-',
                        label=key)
    for key in METRICS:
        if any(key in record for record in history):
            metrics.plot(epochs, [record.get(key, float('nan')) for record in history], 'o-',
                         label=key)
    for axes, title in ((losses, 'loss'), (metrics, 'test metrics')):
        axes.set_xlabel('epoch')
        axes.set_title(title)
        if axes.lines:
            axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
