"""Model selection without labels: the mean training loss on held-out training samples."""
import torch
from torch.utils.data import DataLoader, Subset

from looptrans_core.data.agd20k import AGD20KTrainSet
from looptrans_core.device import autocast
from looptrans_core.train.config import TrainConfig
from looptrans_core.train.distributed import DistInfo, sum_values
from looptrans_core.train.step import TrainingStep

VALIDATION_EPOCH = 0
"""Held-out samples are always drawn as in epoch 0, so every epoch scores the same inputs."""


@torch.no_grad()
def validation_loss(step: TrainingStep, held_out: AGD20KTrainSet, config: TrainConfig,
                    device: torch.device, dtype: torch.dtype,
                    dist: DistInfo = DistInfo()) -> float:
    """Mean weighted total loss over all held-out samples, model in eval mode.

    Under torchrun each process scores every world_size-th sample (no padding, no repeats) and
    the sums are added over the processes, so every process returns the mean of the whole set.
    Call it on every process, with the same weights and BatchNorm statistics.
    """
    was_training = step.training
    step.eval()
    held_out.set_epoch(VALIDATION_EPOCH)
    shard = Subset(held_out, range(dist.rank, len(held_out), dist.world_size))
    total, count = 0.0, 0
    for batch in DataLoader(shard, config.batch_size, num_workers=config.data.num_workers):
        with autocast(device, dtype):
            losses = step(batch['exo'].to(device), batch['ego'].to(device),
                          batch['label'].to(device))
        total += sum(losses.values()).item() * len(batch['label'])
        count += len(batch['label'])
    step.train(was_training)
    total, count = sum_values([total, count], dist, device)
    return total / max(count, 1)
