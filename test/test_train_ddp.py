"""torchrun: two processes (Gloo on CPU) train one run with DDP and a DistributedSampler."""
import json
import subprocess
import sys

from train_fixtures import mini_root, tiny_cluster_file, tiny_overrides  # noqa: F401

from looptrans_core.checkpoints import load_checkpoint
from synth_fixtures import synth_root  # noqa: F401


def test_torchrun_two_processes_train_one_run(mini_root, tiny_cluster_file,  # noqa: F811
                                              tmp_path):
    out = tmp_path / 'ddp'
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node', '2', '-m', 'looptrans_core', 'train', '--data-root',
               str(mini_root), '--out', str(out), 'epochs=1', 'evaluate_every_epoch=false',
               *tiny_overrides(tiny_cluster_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    history = json.loads((out / 'history.json').read_text())
    assert [record['epoch'] for record in history] == [1]
    model, metadata = load_checkpoint(out / 'best.safetensors')
    assert metadata.training_config['batch_size'] == 3 and model.cluster is not None
