"""An independent, hand-written copy of the published training step, for fidelity tests.

It follows the published `Net.forward` and the loss lines of train.py on a published-layout state
dict (`vit_model.*`, heads `aff_proj.*`, `pixel_dec.*`, `scam.*`, `aff_fc.*`, part clusters
`cluster.*`) with plain tensor operations, and loops over samples and parts where the published
code loops. It shares no code with looptrans_core. BatchNorm runs in training mode (batch
statistics, running statistics updated); the part-cluster module runs the published forward,
in which every layer's attention reads the initial tokens.
"""
from dataclasses import dataclass
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F

from published_reference import last_query_key

Tensor = torch.Tensor
NOISE_CLASSES = 15
FG_THRESHOLD = 0.92
CLS_HEADS = [0, 1, 3]
WEIGHTS = {'cls': 1.0, 'mse': 10.0, 'dice': 2.0, 'corr': 1.5, 'denoise': 0.05,
           'concentration': 0.07}
"""train.py's factors, under our loss names."""


@dataclass
class PartChoice:
    """How the published code picked one image's pseudo-mask part."""

    sizes: List[int]  # patches per part
    ious: List[float]  # IoU of each part with the thresholded CAM
    background: int  # argmin of the per-part mean attention (NaN index for an empty part)
    chosen: int  # argmax of the IoUs after the background's is set to -1


def _normalize_minmax(maps: Tensor) -> Tensor:
    flat = maps.reshape(maps.shape[0], -1)
    shifted = maps - flat.min(1).values.view(-1, 1, 1)
    return shifted / (shifted.reshape(maps.shape[0], -1).max(1).values.view(-1, 1, 1) + 1e-15)


def _linear(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    return x @ state[f'{prefix}.weight'].T + state[f'{prefix}.bias']


def _layer_norm(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * state[f'{prefix}.weight'] + state[
        f'{prefix}.bias']


def _mlp(x: Tensor, state: Dict[str, Tensor], prefix: str, names: Tuple[str, str]) -> Tensor:
    return _linear(F.gelu(_linear(x, state, f'{prefix}.{names[0]}')), state,
                   f'{prefix}.{names[1]}')


def _batch_norm(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    """nn.BatchNorm2d in training mode; writes the new running statistics into `state`."""
    mean = x.mean((0, 2, 3))
    var = ((x - mean.view(1, -1, 1, 1)) ** 2).mean((0, 2, 3))
    count = x.numel() // x.shape[1]
    state[f'{prefix}.running_mean'] = 0.9 * state[f'{prefix}.running_mean'] + 0.1 * mean.detach()
    state[f'{prefix}.running_var'] = (0.9 * state[f'{prefix}.running_var'] +
                                      0.1 * var.detach() * count / (count - 1))
    state[f'{prefix}.num_batches_tracked'] = state[f'{prefix}.num_batches_tracked'] + 1
    normal = (x - mean.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + 1e-5)
    return normal * state[f'{prefix}.weight'].view(1, -1, 1, 1) + state[
        f'{prefix}.bias'].view(1, -1, 1, 1)


def _conv_block(x: Tensor, state: Dict[str, Tensor], prefix: str) -> Tensor:
    for conv, bn in ((0, 1), (3, 4)):
        x = F.conv2d(x, state[f'{prefix}.{conv}.weight'], state[f'{prefix}.{conv}.bias'],
                     padding=1)
        x = torch.relu(_batch_norm(x, state, f'{prefix}.{bn}'))
    return x


def _attention(query: Tensor, source: Tensor, state: Dict[str, Tensor], prefix: str,
               heads: int) -> Tensor:
    """nn.MultiheadAttention(query, source, source), written batch-first."""
    dim = query.shape[-1]
    weight, bias = state[f'{prefix}.in_proj_weight'], state[f'{prefix}.in_proj_bias']
    q, k, v = (x @ weight[i * dim:(i + 1) * dim].T + bias[i * dim:(i + 1) * dim]
               for i, x in enumerate((query, source, source)))

    def split(x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], x.shape[1], heads, dim // heads).transpose(1, 2)

    weights = torch.softmax(split(q) @ split(k).transpose(-2, -1) / (dim // heads) ** 0.5, -1)
    out = (weights @ split(v)).transpose(1, 2).reshape(query.shape)
    return _linear(out, state, f'{prefix}.out_proj')


def cluster_forward(keys: Tensor, state: Dict[str, Tensor], heads: int = 8) -> Tensor:
    """Run the published `Cluster.forward`: (B, N, C) keys -> (B, N, tokens) cosine + 1."""
    initial = state['cluster.tokens.weight'].unsqueeze(0).expand(keys.shape[0], -1, -1)
    layers = len({k.split('.')[2] for k in state if k.startswith('cluster.cross_attn_layers.')})
    query = initial
    for i in range(layers):
        query = query + _attention(initial, keys, state, f'cluster.cross_attn_layers.{i}', heads)
        query = query + _attention(initial, initial, state, f'cluster.self_attn_layers.{i}',
                                   heads)
        query = query + _mlp(query, state, f'cluster.ffn_layers.{i}.net', ('0', '3'))
        query = _layer_norm(query, state, f'cluster.norm_layers.{i}')
    return F.normalize(keys, dim=-1) @ F.normalize(query, dim=-1).transpose(1, 2) + 1


def choose_part(parts: Tensor, cam_mask: Tensor, attention: Tensor,
                num_parts: int) -> PartChoice:
    """Pick one image's part as published does, with the scores in float32 as published."""
    scores = torch.zeros(num_parts)
    part_attention = torch.zeros(num_parts)
    for part in range(num_parts):
        member = parts == part
        scores[part] = (member & cam_mask).sum() / ((member | cam_mask).sum() + 1e-6)
        part_attention[part] = attention[member].mean()  # NaN for an empty part
    ious = scores.tolist()
    background = int(torch.argmin(part_attention))  # a NaN's index when a part is empty
    scores[background] = -1
    sizes = [int((parts == part).sum()) for part in range(num_parts)]
    return PartChoice(sizes, ious, background, int(torch.argmax(scores)))


def _concentration(maps: Tensor) -> Tensor:
    """Return the mean over (K, H, W) maps of the spatial variance about their centroids."""
    height, width = maps.shape[-2:]
    ys = (torch.arange(height, dtype=maps.dtype) / height * 2 - 1).view(-1, 1)
    xs = (torch.arange(width, dtype=maps.dtype) / width * 2 - 1).view(1, -1)
    total = maps.new_zeros(())
    for heat in maps:
        heat = (heat - heat.min()) / (heat.max() - heat.min() + 1e-10) + 1e-3
        heat = heat / heat.sum()
        y_mean, x_mean = (heat * ys).sum(), (heat * xs).sum()
        total = total + (heat * (ys - y_mean) ** 2).sum() + (heat * (xs - x_mean) ** 2).sum()
    return total / maps.shape[0]


def _denoise(exo_cams: Tensor, exo_keys: Tensor, ego_map: Tensor, ego_keys: Tensor,
             label: int, num_affordances: int) -> Tensor:
    """Denoise one sample: exo_cams (E, K, h, w), exo_keys (E, C, h, w), ego map, ego keys."""
    query = F.normalize((exo_cams[:, label].unsqueeze(1) * exo_keys).mean((0, 2, 3)), dim=-1)
    positive = (ego_map.unsqueeze(0) * ego_keys).mean((1, 2))
    negatives = (exo_cams[:, num_affordances:].unsqueeze(2) * exo_keys.unsqueeze(1)).mean(
        (0, 3, 4))
    keys = F.normalize(torch.cat([positive.unsqueeze(0), negatives]), dim=-1)
    similarity = keys @ query
    return -(similarity[0] - torch.logsumexp(similarity, 0))


def _branches(exo: Tensor, ego: Tensor, state: Dict[str, Tensor], heads: int) -> Dict[str, Tensor]:
    """Return the keys, CLS attention and the three head outputs, in the published order."""
    ego_q, ego_k = last_query_key(ego, state, heads)
    _, exo_k = last_query_key(exo, state, heads)
    ego_desc = ego_k.permute(0, 3, 1, 2).flatten(1, 2)[:, :, 1:].transpose(-2, -1)
    exo_desc = exo_k.permute(0, 3, 1, 2).flatten(1, 2)[:, :, 1:].transpose(-2, -1)
    batch, patches, channels = ego_desc.shape
    side = int(patches ** 0.5)

    def project(desc: Tensor) -> Tensor:
        mapped = desc + _mlp(_layer_norm(desc, state, 'aff_proj.norm'), state, 'aff_proj',
                             ('fc1', 'fc2'))
        return mapped.transpose(-2, -1).reshape(desc.shape[0], channels, side, side)

    ego_proj, exo_proj = project(ego_desc), project(exo_desc)
    attention = torch.softmax(ego_q[:, :, :1] @ ego_k.transpose(-2, -1) *
                              ego_q.shape[-1] ** -0.5, -1)[:, :, 0, 1:]
    classifier = {'weight': state['aff_fc.weight'], 'bias': state['aff_fc.bias']}
    return {
        'ego_keys': ego_desc, 'exo_keys': exo_desc.transpose(-2, -1).reshape(
            exo.shape[0], channels, side, side),
        'ego_sam': _normalize_minmax(attention[:, CLS_HEADS].mean(1).reshape(batch, side, side)),
        'exo_cams': F.conv2d(_conv_block(exo_proj, state, 'scam'), **classifier),
        'ego_pred': F.conv2d(_conv_block(ego_proj, state, 'pixel_dec'), **classifier),
        'cross_cam': F.conv2d(_conv_block(ego_proj, state, 'scam'), **classifier),
    }


def training_step(exo: Tensor, ego: Tensor, labels: Tensor, state: Dict[str, Tensor],
                  heads: int, num_affordances: int
                  ) -> Tuple[Dict[str, Tensor], Tensor, List[PartChoice]]:
    """Run the published step: weighted losses, pseudo masks (B, h, w), each image's choice.

    `state` holds the trainable tensors (leaves that may require grad), the BatchNorm running
    statistics (replaced by their updated values) and the frozen `vit_model.*` and `cluster.*`.
    """
    batch, num_exo = exo.shape[:2]
    out = _branches(exo.flatten(0, 1), ego, state, heads)
    side = out['ego_pred'].shape[-1]
    exo_cams = out['exo_cams'].reshape(batch, num_exo, -1, side, side)
    exo_keys = out['exo_keys'].reshape(batch, num_exo, -1, side, side)
    ego_pred, cross_cam = out['ego_pred'], out['cross_cam']
    rows = torch.arange(batch)
    gt_ego = _normalize_minmax(ego_pred[rows, labels])
    gt_cross = _normalize_minmax(cross_cam[rows, labels])
    exo_loss = sum(F.cross_entropy(exo_cams[:, n].mean((-2, -1)), labels)
                   for n in range(num_exo)) / num_exo
    ego_feat, exo_feat = ego_pred.flatten(-2), exo_cams.transpose(1, 2).flatten(-3)
    ego_corr, exo_corr = ego_feat @ ego_feat.transpose(1, 2), exo_feat @ exo_feat.transpose(1, 2)
    similarity = cluster_forward(out['ego_keys'], state)
    parts, cam_mask = similarity.argmax(-1), gt_cross.flatten(-2) > FG_THRESHOLD
    sam = out['ego_sam'].flatten(-2)
    ego_keys = out['ego_keys'].transpose(-2, -1).reshape(batch, -1, side, side)
    choices, masks, mse, dice, denoise, concentration = [], [], 0, 0, 0, 0
    for b in range(batch):
        choice = choose_part(parts[b], cam_mask[b], sam[b], similarity.shape[-1])
        mask = (parts[b] == choice.chosen).to(gt_ego.dtype).reshape(side, side)
        choices.append(choice)
        masks.append(mask)
        mse = mse + ((gt_ego[b] - mask) ** 2).mean()
        dice = dice + 1 - (2 * (gt_ego[b] * mask).sum() + 1) / (gt_ego[b].sum() + mask.sum() + 1)
        denoise = denoise + _denoise(exo_cams[b], exo_keys[b], ego_pred[b, labels[b]],
                                     ego_keys[b], int(labels[b]), num_affordances)
        concentration = concentration + _concentration(ego_pred[b])
    losses = {
        'cls': F.cross_entropy(cross_cam.mean((-2, -1)), labels) + exo_loss,
        'mse': mse / batch, 'dice': dice / batch,
        'corr': 1 - F.cosine_similarity(ego_corr, exo_corr, dim=1).mean(),
        'denoise': denoise / batch, 'concentration': concentration / batch,
    }
    return ({name: value * WEIGHTS[name] for name, value in losses.items()},
            torch.stack(masks), choices)
