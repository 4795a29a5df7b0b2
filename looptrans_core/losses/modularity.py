"""Modularity loss that trains the part-cluster module without labels."""
import torch
import torch.nn.functional as F


def modularity_loss(keys: torch.Tensor, token_cosines: torch.Tensor) -> torch.Tensor:
    """Negative soft modularity of the patch graph under the token assignment, batch mean.

    A_ij = max(0, cos(v_i, v_j)) (no gradient), k_i = sum_j A_ij, 2m = sum_ij A_ij,
    S_ik = max(0, cos(v_i, c_k)), D_ij = max_k S_ik S_jk,
    L = -(1 / 2m) sum_ij (A_ij - k_i k_j / 2m) D_ij.

    Args:
        keys: (B, N, C) frozen patch keys v.
        token_cosines: (B, N, K) cos(v_i, c_k) (the cluster output minus 1).
    """
    with torch.no_grad():
        unit = F.normalize(keys.float(), dim=-1)
        affinity = (unit @ unit.transpose(1, 2)).clamp_min(0)
        degree = affinity.sum(-1)
        total = degree.sum(-1).view(-1, 1, 1)
        modularity = affinity - degree.unsqueeze(2) * degree.unsqueeze(1) / total
    scores = token_cosines.float().clamp_min(0)
    together = (scores.unsqueeze(2) * scores.unsqueeze(1)).amax(-1)
    return -((modularity * together).sum((1, 2)) / total.view(-1)).mean()
