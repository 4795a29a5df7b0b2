"""Training configuration: dataclasses with one comment per field, YAML files and overrides."""
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import yaml


@dataclass
class DataConfig:
    """Where the training data is and how it is sampled."""

    root: str = ''  # AGD20K root holding Seen/ and Unseen/ (set by --data-root)
    divide: str = 'Seen'  # 'Seen' or 'Unseen'
    num_workers: int = 8  # DataLoader worker processes
    val_fraction: float = 0.1  # training samples held out (seeded) for select_on: validation


@dataclass
class ModelConfig:
    """The network and the part-cluster file."""

    backbone: str = 'vit_small_patch16_224'  # registry name (vit_tiny_test for tests/demo)
    backbone_weights: Optional[str] = 'hub'  # 'hub', a local DINO file, or null for random
    cluster: Optional[str] = None  # cluster_seen.pth / cluster_unseen.pth, or train-cluster output


@dataclass
class LossConfig:
    """Loss weights and the pseudo-mask threshold (published values)."""

    cls: float = 1.0  # cross-entropy of the ego shared-branch and exo logits
    mse: float = 10.0  # MSE between the ego label map and the pseudo mask
    dice: float = 2.0  # Dice loss, same pair
    corr: float = 1.5  # ego/exo Gram-matrix correlation
    denoise: float = 0.05  # denoising distillation against the noise classes
    concentration: float = 0.07  # spatial concentration of every ego map
    fg_threshold: float = 0.92  # min-max CAM level that counts as affordance foreground


@dataclass
class OptimConfig:
    """SGD and StepLR (published values)."""

    lr: float = 1e-3  # base learning rate
    momentum: float = 0.9  # SGD momentum (Nesterov)
    weight_decay: float = 5e-4  # L2 weight decay
    step_size: int = 5  # StepLR period in epochs
    gamma: float = 0.1  # StepLR factor
    classifier_match: str = 'fc'  # names containing this get lr x10 (weight) / x20 (bias);
    # the published code matches 'fc', which also catches aff_proj.fc1/fc2; 'aff_fc' = classifier


@dataclass
class TrainConfig:
    """A whole training run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    epochs: int = 5  # training epochs
    batch_size: int = 16  # samples per step (per process under torchrun)
    eval_batch_size: int = 16  # test images per evaluation batch
    seed: int = 42  # seeds python, numpy and torch
    device: str = 'auto'  # 'auto', 'cpu', 'cuda', 'cuda:N' (torchrun sets cuda:LOCAL_RANK)
    precision: str = 'fp32'  # 'fp32', or 'bf16' / 'fp16' autocast on CUDA
    select_on: str = 'validation'  # best checkpoint: 'validation' = lowest mean training loss
    # on the held-out training samples; 'test' = lowest test KLD (the published behaviour)
    evaluate_every_epoch: bool = True  # test-set KLD/SIM/NSS each epoch for the log and plot
    log_every: int = 50  # steps between log lines
    description: str = ''  # checkpoint description (default: what data and epoch)


SELECT_ON = ('validation', 'test')


def load_config(path: Optional[Union[str, Path]] = None,
                overrides: Sequence[str] = ()) -> TrainConfig:
    """Defaults, then the YAML file at `path`, then `key.sub=value` overrides (YAML values)."""
    values: Dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f'training config not found: {path}')
        values = yaml.safe_load(path.read_text()) or {}
    for item in overrides:
        key, sep, raw = item.partition('=')
        if not sep or not key:
            raise ValueError(f'override {item!r} is not key=value, e.g. optim.lr=0.01')
        _set_nested(values, key.split('.'), yaml.safe_load(raw))
    config = _build(TrainConfig, values, '')
    validate(config)
    return config


def _set_nested(values: Dict[str, Any], keys: List[str], value: Any) -> None:
    for key in keys[:-1]:
        values = values.setdefault(key, {})
    values[keys[-1]] = value


def _build(cls: type, values: Dict[str, Any], prefix: str) -> Any:
    if not isinstance(values, dict):
        raise TypeError(f'config section {prefix or "<root>"} must be a mapping, got {values!r}')
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f'unknown config key(s) {[prefix + k for k in unknown]}; '
                         f'{cls.__name__} accepts {sorted(fields)}')
    kwargs = {}
    for name, value in values.items():
        nested = fields[name].default_factory
        if dataclasses.is_dataclass(nested):
            kwargs[name] = _build(nested, value, f'{prefix}{name}.')
        else:
            kwargs[name] = value
    return cls(**kwargs)


def validate(config: TrainConfig) -> None:
    """Reject settings that cannot work, naming what is accepted."""
    if config.select_on not in SELECT_ON:
        raise ValueError(f'select_on must be one of {SELECT_ON}, got {config.select_on!r}')
    if not 0.0 <= config.data.val_fraction < 1.0:
        raise ValueError(f'data.val_fraction must be in [0, 1), got {config.data.val_fraction}')
    if config.select_on == 'validation' and config.data.val_fraction == 0.0:
        raise ValueError('select_on: validation needs data.val_fraction > 0')
    if config.select_on == 'test' and not config.evaluate_every_epoch:
        raise ValueError('select_on: test needs evaluate_every_epoch: true')
    if config.epochs < 1 or config.batch_size < 1:
        raise ValueError(f'epochs and batch_size must be >= 1, got {config.epochs} and '
                         f'{config.batch_size}')


def to_dict(config: TrainConfig) -> Dict[str, Any]:
    """Plain nested dict of the configuration."""
    return dataclasses.asdict(config)


def save_config(config: TrainConfig, path: Path) -> None:
    """Write the resolved configuration as YAML."""
    path.write_text(yaml.safe_dump(to_dict(config), sort_keys=False))
