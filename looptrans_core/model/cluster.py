"""The part-cluster module: learned tokens that split an object's patch keys into parts."""
from typing import Dict

import torch
from torch import nn
import torch.nn.functional as F

CLUSTER_FORWARDS = ('published', 'corrected')
"""'published': every layer's attention reads the initial tokens, as the authors' code does.
'corrected': each layer's attention reads the tokens updated by the layers before it."""


class FeedForward(nn.Module):
    """Linear -> GELU -> Dropout -> Linear -> Dropout, keys `net.0.*` and `net.3.*`."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0),
                                 nn.Linear(hidden, dim), nn.Dropout(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the two-layer MLP to (..., dim) tokens."""
        return self.net(x)


class PartCluster(nn.Module):
    """Learned part tokens refined by cross-attention to the patch keys (published `Cluster`).

    Each layer adds cross-attention (tokens to keys), self-attention among the tokens and an FFN
    to the tokens, then applies LayerNorm. The output is cos(key, token) + 1 for every patch and
    token. Parameter names match the published state dicts (`tokens.weight`,
    `cross_attn_layers.{i}.*`, `self_attn_layers.{i}.*`, `norm_layers.{i}.*`,
    `ffn_layers.{i}.net.{0,3}.*`).
    """

    def __init__(self, dim: int = 384, num_tokens: int = 4, num_layers: int = 8,
                 num_heads: int = 8, hidden_ratio: int = 4, forward_mode: str = 'corrected',
                 ) -> None:
        super().__init__()
        if forward_mode not in CLUSTER_FORWARDS:
            raise ValueError(f'unknown cluster forward {forward_mode!r}; expected one of '
                             f'{CLUSTER_FORWARDS}')
        self.forward_mode = forward_mode
        self.tokens = nn.Embedding(num_tokens, dim)
        self.cross_attn_layers = nn.ModuleList(
            [nn.MultiheadAttention(dim, num_heads) for _ in range(num_layers)])
        self.self_attn_layers = nn.ModuleList(
            [nn.MultiheadAttention(dim, num_heads) for _ in range(num_layers)])
        self.norm_layers = nn.ModuleList([nn.LayerNorm(dim) for _ in range(num_layers)])
        self.ffn_layers = nn.ModuleList(
            [FeedForward(dim, dim * hidden_ratio) for _ in range(num_layers)])

    @property
    def num_tokens(self) -> int:
        """Number of parts."""
        return self.tokens.num_embeddings

    def part_tokens(self, keys: torch.Tensor) -> torch.Tensor:
        """Refine the tokens against (B, N, C) patch keys; returns (B, num_tokens, C)."""
        keys_seq = keys.transpose(0, 1)
        query = self.tokens.weight.unsqueeze(1).expand(-1, keys.shape[0], -1)
        initial = query
        for cross, self_attn, norm, ffn in zip(self.cross_attn_layers, self.self_attn_layers,
                                               self.norm_layers, self.ffn_layers):
            reads = initial if self.forward_mode == 'published' else query
            query = query + cross(reads, keys_seq, keys_seq, need_weights=False)[0]
            reads = initial if self.forward_mode == 'published' else query
            query = query + self_attn(reads, reads, reads, need_weights=False)[0]
            query = norm(query + ffn(query))
        return query.transpose(0, 1)

    def forward(self, keys: torch.Tensor) -> torch.Tensor:
        """(B, N, C) patch keys -> (B, N, num_tokens) cosine similarity to each token, plus 1."""
        tokens = F.normalize(self.part_tokens(keys), dim=-1)
        return F.normalize(keys, dim=-1) @ tokens.transpose(1, 2) + 1.0


def cluster_from_state(state: Dict[str, torch.Tensor], forward_mode: str,
                       num_heads: int = 8) -> PartCluster:
    """Build a PartCluster whose shapes fit `state` (keys without the `cluster.` prefix), loaded.

    The head count cannot be read from the weights; the published module uses 8.
    """
    if 'tokens.weight' not in state:
        raise ValueError(f'not a part-cluster state dict: no tokens.weight among '
                         f'{sorted(state)[:5]}...; expected tokens.weight, cross_attn_layers.*')
    num_tokens, dim = state['tokens.weight'].shape
    num_layers = len({k.split('.')[1] for k in state if k.startswith('cross_attn_layers.')})
    hidden = state['ffn_layers.0.net.0.weight'].shape[0]
    cluster = PartCluster(dim, num_tokens, num_layers, num_heads, hidden // dim, forward_mode)
    cluster.load_state_dict(state)
    return cluster
