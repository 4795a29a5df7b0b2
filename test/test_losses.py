"""Losses and pseudo masks on tensors with known answers."""
import torch
import torch.nn.functional as F

from looptrans_core.losses.classification import classification_loss
from looptrans_core.losses.contrast import correlation_loss, denoising_loss
from looptrans_core.losses.maps import concentration_loss, dice_loss, minmax_scale
from looptrans_core.losses.modularity import modularity_loss
from looptrans_core.train.pseudo_mask import pseudo_masks


def two_community_keys(per_side: int = 10, dim: int = 8) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    centres = torch.eye(dim)[:2] * 3
    noise = torch.randn(2 * per_side, dim, generator=generator) * 0.3
    return (centres.repeat_interleave(per_side, 0) + noise).unsqueeze(0)


def one_hot_cosines(assignment: torch.Tensor, parts: int = 2) -> torch.Tensor:
    return F.one_hot(assignment, parts).float().unsqueeze(0)


def test_modularity_prefers_planted_partition():
    keys = two_community_keys()
    planted = torch.tensor([0] * 10 + [1] * 10)
    mixed = torch.tensor([0, 1] * 10)
    single = torch.zeros(20, dtype=torch.long)
    planted_loss = modularity_loss(keys, one_hot_cosines(planted))
    assert planted_loss < modularity_loss(keys, one_hot_cosines(mixed))
    assert planted_loss < modularity_loss(keys, one_hot_cosines(single)) - 0.3
    assert abs(modularity_loss(keys, one_hot_cosines(single)).item()) < 1e-5


def test_modularity_gradient_reaches_tokens_only():
    keys = two_community_keys().requires_grad_()
    cosines = torch.rand(1, 20, 3, requires_grad=True)
    modularity_loss(keys, cosines).backward()
    assert keys.grad is None and cosines.grad is not None


def test_dice_by_hand():
    pred = torch.tensor([[[1.0, 0.5], [0.0, 0.0]]])
    target = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])
    expected = 1 - (2 * 1.5 + 1) / (1.5 + 2 + 1)
    assert torch.isclose(dice_loss(pred, target), torch.tensor(expected))


def test_minmax_scale_range():
    maps = torch.randn(3, 5, 7, 7) * 4
    scaled = minmax_scale(maps)
    assert torch.allclose(scaled.amin((-2, -1)), torch.zeros(3, 5))
    assert torch.allclose(scaled.amax((-2, -1)), torch.ones(3, 5))


def test_concentration_prefers_a_compact_map():
    compact = torch.zeros(1, 1, 14, 14)
    compact[..., 6:8, 6:8] = 1
    spread = torch.zeros(1, 1, 14, 14)
    spread[..., ::4, ::4] = 1
    assert concentration_loss(compact) < concentration_loss(spread)
    uniform = concentration_loss(torch.zeros(1, 1, 14, 14))
    coords = torch.arange(14) / 14 * 2 - 1
    assert torch.isclose(uniform, 2 * coords.var(unbiased=False), atol=1e-5)


def test_correlation_zero_for_matching_grams():
    ego = torch.rand(2, 5, 4, 4)
    exo = ego.unsqueeze(1).expand(-1, 3, -1, -1, -1)
    assert correlation_loss(ego, exo).abs() < 1e-5
    assert correlation_loss(ego, torch.rand(2, 3, 5, 4, 4)) > 1e-3


def test_denoising_rewards_an_aligned_positive():
    generator = torch.Generator().manual_seed(0)
    exo_keys = torch.randn(2, 3, 8, 4, 4, generator=generator)
    label_cams = torch.rand(2, 3, 4, 4, generator=generator)
    noise_cams = torch.rand(2, 3, 15, 4, 4, generator=generator)
    ego_map = torch.ones(2, 4, 4)
    aligned = (label_cams.unsqueeze(2) * exo_keys).mean(1)
    opposed = -aligned
    low = denoising_loss(label_cams, noise_cams, exo_keys, ego_map, aligned)
    high = denoising_loss(label_cams, noise_cams, exo_keys, ego_map, opposed)
    assert low < high
    assert low > 0


def test_classification_by_hand():
    ego = torch.zeros(1, 3, 2, 2)
    ego[0, 1] = 2.0
    exo = torch.zeros(1, 2, 3, 2, 2)
    labels = torch.tensor([1])
    expected = F.cross_entropy(torch.tensor([[0.0, 2.0, 0.0]]), labels) + torch.log(
        torch.tensor(3.0))
    assert torch.isclose(classification_loss(ego, exo, labels), expected)


def part_scores(parts: torch.Tensor, count: int = 4) -> torch.Tensor:
    return F.one_hot(parts.flatten(), count).float().unsqueeze(0)


def test_pseudo_mask_picks_the_part_under_the_cam():
    parts = torch.zeros(4, 4, dtype=torch.long)
    parts[:2, :2], parts[:2, 2:], parts[2:, :] = 1, 2, 3
    attention = torch.ones(1, 4, 4)
    attention[0, 2:, :] = 0.0
    cam = torch.zeros(1, 4, 4)
    cam[0, :2, 2:] = 1.0
    mask = pseudo_masks(part_scores(parts), attention, cam)
    assert torch.equal(mask[0], (parts == 2).float())


def test_pseudo_mask_never_picks_background_even_under_the_cam():
    parts = torch.tensor([[0, 0], [1, 1]])
    attention = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])
    cam = torch.tensor([[[0.0, 0.0], [1.0, 1.0]]])
    mask = pseudo_masks(part_scores(parts, 2), attention, cam)
    assert torch.equal(mask[0], (parts == 0).float())


def test_pseudo_mask_with_empty_parts_both_rules():
    parts = torch.tensor([[0, 0], [2, 2]])
    attention = torch.tensor([[[0.0, 0.0], [1.0, 1.0]]])
    cam = torch.tensor([[[1.0, 1.0], [0.5, 0.5]]])
    one_part = part_scores(torch.zeros(2, 2, dtype=torch.long))
    # published: the empty part 1 (NaN mean attention) is "background", so the lowest-attention
    # part 0, which holds the CAM's foreground, is the mask; one part only: all ones
    assert torch.equal(pseudo_masks(part_scores(parts), attention, cam)[0],
                       (parts == 0).float())
    assert pseudo_masks(one_part, attention, cam).sum() == 4
    # robust: empty parts cannot be background; part 0 is, and part 2 is the mask
    robust = pseudo_masks(part_scores(parts), attention, cam, rule='robust')
    assert torch.equal(robust[0], (parts == 2).float())
    assert pseudo_masks(one_part, attention, cam, rule='robust').sum() == 0
