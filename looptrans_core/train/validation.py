"""Model selection without labels: the mean training loss on held-out training samples."""
import torch

from looptrans_core.device import autocast
from looptrans_core.train.config import TrainConfig
from looptrans_core.train.data import epoch_loader
from looptrans_core.train.step import TrainingStep

VALIDATION_EPOCH = 0
"""Held-out samples are always drawn as in epoch 0, so every epoch scores the same inputs."""


@torch.no_grad()
def validation_loss(step: TrainingStep, held_out, config: TrainConfig, device: torch.device,
                    dtype: torch.dtype) -> float:
    """Mean weighted total loss over the held-out samples, model in eval mode."""
    was_training = step.training
    step.eval()
    total, count = 0.0, 0
    for batch in epoch_loader(held_out, config, VALIDATION_EPOCH, shuffle=False):
        with autocast(device, dtype):
            losses = step(batch['exo'].to(device), batch['ego'].to(device),
                          batch['label'].to(device))
        total += sum(losses.values()).item() * len(batch['label'])
        count += len(batch['label'])
    step.train(was_training)
    return total / max(count, 1)
