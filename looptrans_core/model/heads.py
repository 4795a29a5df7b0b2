"""LoopTrans heads, with the published module and parameter names so state dicts load by name."""
from torch import nn


class AffordanceProjection(nn.Module):
    """LayerNorm -> Linear(C, 4C) -> GELU -> Dropout -> Linear(4C, C) -> Dropout.

    The model adds it residually: `x + aff_proj(x)`. Keys: `norm.*`, `fc1.*`, `fc2.*`.
    """

    def __init__(self, dim: int, hidden_ratio: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * hidden_ratio)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(dim * hidden_ratio, dim)
        self.drop2 = nn.Dropout(dropout)

    def forward(self, x):
        """Project (..., C) features; the residual is added by the caller."""
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(self.norm(x))))))


def conv_block(dim: int) -> nn.Sequential:
    """Conv3x3 -> BN -> ReLU -> Conv3x3 -> BN -> ReLU: `pixel_dec`, `scam` (indices 0, 1, 3, 4)."""
    return nn.Sequential(
        nn.Conv2d(dim, dim, kernel_size=3, padding=1),
        nn.BatchNorm2d(dim),
        nn.ReLU(inplace=True),
        nn.Conv2d(dim, dim, kernel_size=3, padding=1),
        nn.BatchNorm2d(dim),
        nn.ReLU(inplace=True),
    )
