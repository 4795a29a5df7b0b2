"""Registry of frozen ViT backbones: which timm architecture, which weights, which input."""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneConfig:
    """How to build one backbone with timm.

    Attributes:
        name: registry name, stored in checkpoint metadata.
        timm_name: timm architecture passed to `timm.create_model`.
        timm_kwargs: architecture overrides (embed_dim, depth, num_heads) for small variants.
        hub_tag: pretrained tag on timm's hub ('dino' gives `vit_small_patch16_224.dino`), or None.
        input_size: square input side in pixels; the patch grid is input_size // patch size.
        mean: per-channel normalisation mean (RGB, [0, 1] scale).
        std: per-channel normalisation std.
    """

    name: str
    timm_name: str
    timm_kwargs: Dict[str, int] = field(default_factory=dict)
    hub_tag: Optional[str] = None
    input_size: int = 224
    mean: Tuple[float, float, float] = IMAGENET_MEAN
    std: Tuple[float, float, float] = IMAGENET_STD


_REGISTRY: Dict[str, BackboneConfig] = {}


def register_backbone(config: BackboneConfig) -> BackboneConfig:
    """Add a backbone to the registry; names are unique."""
    assert config.name not in _REGISTRY, f'backbone {config.name} registered twice'
    _REGISTRY[config.name] = config
    return config


def get_backbone_config(name: str) -> BackboneConfig:
    """Return the registered backbone `name`, or fail with the list of known names."""
    if name not in _REGISTRY:
        raise ValueError(f'unknown backbone {name!r}; known: {", ".join(sorted(_REGISTRY))}')
    return _REGISTRY[name]


def list_backbones() -> Tuple[str, ...]:
    """Names of every registered backbone."""
    return tuple(sorted(_REGISTRY))


DEFAULT_BACKBONE = register_backbone(BackboneConfig(
    name='vit_small_patch16_224', timm_name='vit_small_patch16_224', hub_tag='dino')).name
"""The published backbone: DINO ViT-S/16, 384 channels, 6 heads, 14x14 patches."""

register_backbone(BackboneConfig(
    name='vit_tiny_test', timm_name='vit_small_patch16_224',
    timm_kwargs={'embed_dim': 64, 'depth': 2, 'num_heads': 4}))
"""A small random ViT with the same patch grid, for tests and the synthetic-data demo model."""

register_backbone(BackboneConfig(
    name='vit_tiny_synth', timm_name='vit_small_patch16_224',
    timm_kwargs={'embed_dim': 64, 'depth': 4, 'num_heads': 4}))
"""A small ViT for CPU runs on synthetic data; `pretrain-backbone` gives it weights that know
objects (the bundled `assets/vit_tiny_synth.safetensors`), as DINO weights do for real images."""
