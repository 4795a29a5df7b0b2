"""torchrun: two processes (Gloo on CPU, `device: auto` without CUDA) train one run with DDP.

The logged training loss is the mean over both processes and the validation loss covers every
held-out sample, scored with rank 0's weights and BatchNorm statistics.
"""
import json
import os
import re
import subprocess
import sys

import pytest
import torch
from train_fixtures import mini_root, tiny_cluster_file, tiny_overrides  # noqa: F401

from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.train.config import load_config
from looptrans_core.train.data import TrainingData
from looptrans_core.train.step import TrainingStep
from looptrans_core.train.validation import validation_loss
from synth_fixtures import synth_root  # noqa: F401


def test_torchrun_two_processes_train_one_run(mini_root, tiny_cluster_file,  # noqa: F811
                                              tmp_path):
    out = tmp_path / 'ddp'
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node', '2', '-m', 'looptrans_core', 'train', '--data-root',
               str(mini_root), '--out', str(out), 'epochs=1', 'evaluate_every_epoch=false',
               *tiny_overrides(tiny_cluster_file), 'device=auto', 'data.val_fraction=0.3']
    environment = {**os.environ, 'CUDA_VISIBLE_DEVICES': ''}
    result = subprocess.run(command, capture_output=True, text=True, timeout=240,
                            env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (out / 'train.log').read_text()
    assert 'on cpu x 2 process(es)' in log
    history = json.loads((out / 'history.json').read_text())
    assert [record['epoch'] for record in history] == [1]
    per_rank = [float(v) for v in re.search(r'per process: ([\d. ]+)\)', log).group(1).split()]
    assert len(per_rank) == 2 and per_rank[0] != per_rank[1]
    assert history[0]['train_loss'] == pytest.approx(sum(per_rank) / 2, abs=2e-6)
    config = load_config(out / 'config.yaml')
    model, metadata = load_checkpoint(out / 'best.safetensors')
    assert metadata.training_config['batch_size'] == 3 and model.cluster is not None
    held_out = TrainingData.build(config).val
    expected = validation_loss(TrainingStep(model, config.loss), held_out, config,
                               torch.device('cpu'), torch.float32)
    assert history[0]['val_loss'] == pytest.approx(expected, rel=1e-5)
