"""SGD with the published parameter groups, and its StepLR schedule."""
from typing import Tuple

import torch
from torch import nn

from looptrans_core.train.config import OptimConfig


def build_optimizer(model: nn.Module, config: OptimConfig,
                    ) -> Tuple[torch.optim.SGD, torch.optim.lr_scheduler.StepLR]:
    """Nesterov SGD over the trainable parameters in four groups, and StepLR.

    Groups (lr multiplier): weights x1, biases x2, and for parameter names containing
    `config.classifier_match` weights x10, biases x20.
    """
    groups = {('base', 'weight'): [], ('base', 'bias'): [], ('fc', 'weight'): [],
              ('fc', 'bias'): []}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        kind = 'fc' if config.classifier_match in name else 'base'
        groups[(kind, 'bias' if name.endswith('bias') else 'weight')].append(parameter)
    multipliers = {('base', 'weight'): 1, ('base', 'bias'): 2, ('fc', 'weight'): 10,
                   ('fc', 'bias'): 20}
    param_groups = [{'params': params, 'lr': config.lr * multipliers[key]}
                    for key, params in groups.items() if params]
    optimizer = torch.optim.SGD(param_groups, lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay, nesterov=True)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.step_size, config.gamma)
    return optimizer, scheduler
