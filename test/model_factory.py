"""Small seeded LoopTrans models for tests."""
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.model.looptrans import LoopTrans


def randomise_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial running statistics and affine weights."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            shape = module.running_mean.shape
            module.running_mean.copy_(torch.randn(shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(shape, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(shape, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(shape, generator=generator) * 0.1)


def make_tiny_model(num_affordances: int = len(SEEN_AFFORDANCES), seed: int = 0) -> LoopTrans:
    """Build a seeded LoopTrans on the small test backbone, in eval mode."""
    torch.manual_seed(seed)
    model = LoopTrans(num_affordances, backbone='vit_tiny_test')
    randomise_batchnorm(model, seed)
    return model.eval()
