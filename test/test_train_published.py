"""Our training step against an independent copy of the published one: float64, seeded weights.

Three seeded batches: an ordinary one; one where no non-background part overlaps the CAM of a
sample; one whose egocentric images are two flat halves, so that parts are empty (one image has
an empty part taken as background, the other has every patch in one part).
"""
from typing import Dict, List

import published_train_reference as reference
import pytest
import torch

from looptrans_core.model.cluster import PartCluster
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.train.cluster_io import freeze_cluster
from looptrans_core.train.config import LossConfig
from looptrans_core.train.step import TrainingStep
from model_factory import make_tiny_model

HEADS = 4
"""Attention heads of vit_tiny_test."""


def seeded_model() -> LoopTrans:
    """Tiny LoopTrans with a seeded published-forward cluster module, float64, training mode."""
    model = make_tiny_model()
    torch.manual_seed(0)
    model.cluster = freeze_cluster(PartCluster(64, num_layers=2, forward_mode='published'))
    return model.double().train()


def random_batch(seed: int, labels: List[int]):
    generator = torch.Generator().manual_seed(seed)
    exo = torch.randn(len(labels), 3, 3, 224, 224, generator=generator, dtype=torch.float64)
    ego = torch.randn(len(labels), 3, 224, 224, generator=generator, dtype=torch.float64)
    return exo, ego, torch.tensor(labels)


def two_tone_batch(seed: int, labels: List[int]):
    """Random exo images; each ego image is two flat halves of random colours, lightly noisy."""
    exo, noise, labels = random_batch(seed, labels)
    colours = torch.randn(len(labels), 2, 3, 1, 1, generator=torch.Generator().manual_seed(seed),
                          dtype=torch.float64)
    ego = torch.cat([colours[:, 0].expand(-1, -1, 224, 112),
                     colours[:, 1].expand(-1, -1, 224, 112)], dim=-1)
    return exo, ego + 0.1 * noise, labels


CASES = {'ordinary': (random_batch, 0, [3, 17]), 'no overlap': (random_batch, 0, [26, 7]),
         'empty part': (two_tone_batch, 2, [3, 17])}


def case_of(choice: reference.PartChoice) -> str:
    """Name the corner case of the part selection that an image falls into."""
    if min(choice.sizes) == 0:
        return 'empty part'
    others = [iou for part, iou in enumerate(choice.ious) if part != choice.background]
    return 'no overlap' if max(others) == 0 else 'ordinary'


@pytest.fixture(scope='module', params=sorted(CASES))
def published(request) -> Dict:
    """Run the reference step: losses, gradients, BatchNorm statistics and part choices."""
    make_batch, seed, labels = CASES[request.param]
    batch = make_batch(seed, labels)
    model = seeded_model()
    state = {name: value.detach().clone() for name, value in model.state_dict().items()}
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    for name in trainable:
        state[name].requires_grad_(True)
    losses, masks, choices = reference.training_step(*batch, state, HEADS, model.num_affordances)
    sum(losses.values()).backward()
    return {'case': request.param, 'batch': batch, 'losses': losses, 'masks': masks,
            'choices': choices, 'grads': {name: state[name].grad for name in trainable},
            'stats': {k: v for k, v in state.items() if 'running' in k}}


def test_the_case_happens(published):
    cases = [case_of(choice) for choice in published['choices']]
    assert published['case'] in cases, published['choices']
    if published['case'] == 'empty part':
        backgrounds = [c for c in published['choices'] if c.sizes[c.background] == 0]
        one_part = [i for i, c in enumerate(published['choices']) if max(c.sizes) == 196]
        assert backgrounds and one_part, published['choices']
        assert published['masks'][one_part[0]].eq(1).all()


def test_default_step_equals_published_losses_gradients_and_statistics(published):
    model = seeded_model()
    losses = TrainingStep(model, LossConfig())(*published['batch'])
    sum(losses.values()).backward()
    for name, expected in published['losses'].items():
        assert abs(losses[name].item() - expected.item()) <= 1e-12 * abs(expected.item()), name
    grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    assert len(grads) == len(published['grads']) == 24
    for name, expected in published['grads'].items():
        assert torch.allclose(grads[name], expected, rtol=1e-10, atol=1e-13), name
    state = model.state_dict()
    for name, expected in published['stats'].items():
        assert torch.allclose(state[name], expected, rtol=1e-12, atol=1e-15), name


def test_robust_rule_differs_only_in_the_corner_cases(published):
    with torch.no_grad():
        losses = TrainingStep(seeded_model(), LossConfig(pseudo_mask='robust'))(
            *published['batch'])
    relative = abs(losses['mse'].item() / published['losses']['mse'].item() - 1)
    if published['case'] == 'ordinary':
        assert relative < 1e-12
    else:
        assert relative > 1e-3


def test_torch_argmin_returns_the_first_nan_as_the_published_rule_needs():
    means = torch.tensor([[0.2, float('nan'), 0.1, float('nan')], [0.3, 0.2, 0.9, 0.1]])
    assert means.argmin(-1).tolist() == [1, 3]
    assert torch.zeros(2, 4).argmax(-1).tolist() == [0, 0]
