"""Training configuration: dataclasses with one comment per field, YAML files and overrides.

One loader serves `train` (TrainConfig), `train-cluster` and `pretrain-backbone` (their own
dataclasses): built-in defaults, then a YAML file, then `key.sub=value` overrides, checked by the
dataclass's `check()`. For `train`, `recipe: published` first lays down the published settings
that differ from ours (RECIPES), so that one switch reproduces the published run.
"""
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
import typing
from typing import Any, Dict, List, Optional, Sequence, Type, TypeVar, Union

import yaml

from looptrans_core.data.agd20k import IMAGE_BACKENDS
from looptrans_core.train.pseudo_mask import PSEUDO_MASK_RULES

Config = TypeVar('Config')


@dataclass
class DataConfig:
    """Where the training data is and how it is sampled."""

    root: str = ''  # AGD20K root holding Seen/ and Unseen/ (set by --data-root)
    divide: str = 'Seen'  # 'Seen' or 'Unseen'
    num_workers: int = 8  # DataLoader worker processes
    val_fraction: float = 0.1  # training samples held out (seeded) for select_on: validation;
    # recipe: published holds out none (0.0)
    image_backend: str = 'opencv'  # 'opencv': OpenCV decoding (applies EXIF orientation) and
    # tensor resizes; 'pil' (recipe: published): PIL decoding (EXIF ignored) and torchvision's
    # PIL transforms, as published (data/pil_transforms.py)


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
    pseudo_mask: str = 'published'  # part choice when no part overlaps the CAM or a part is
    # empty: 'published' (the authors' argmin/argmax, bit for bit) or 'robust' (train/pseudo_mask)


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
    recipe: str = 'ours'  # 'ours' (these defaults) or 'published' (RECIPES: no hold-out, best
    # by test KLD, deterministic cuDNN, published pseudo masks, PIL images)
    epochs: int = 5  # training epochs
    batch_size: int = 16  # samples per step (per process under torchrun)
    eval_batch_size: int = 16  # test images per evaluation batch
    seed: int = 42  # seeds python, numpy and torch (plus the rank under torchrun)
    deterministic: bool = False  # cudnn.deterministic = True, cudnn.benchmark = False
    device: str = 'auto'  # 'auto' (under torchrun: cuda:LOCAL_RANK, or cpu without CUDA),
    # 'cpu', 'cuda', 'cuda:N'
    precision: str = 'fp32'  # 'fp32', or 'bf16' / 'fp16' autocast on CUDA
    select_on: str = 'validation'  # best checkpoint: 'validation' = lowest mean training loss
    # on the held-out training samples; 'test' = lowest test KLD (the published behaviour)
    evaluate_every_epoch: bool = True  # test-set KLD/SIM/NSS each epoch for the log and plot
    log_every: int = 50  # steps between log lines
    description: str = ''  # checkpoint description (default: what data and epoch)

    def check(self) -> None:
        """Reject settings that cannot work or contradict the recipe, naming what is accepted."""
        _check_choice('recipe', self.recipe, tuple(RECIPES))
        for key, value in _flatten(RECIPES[self.recipe]).items():
            given = _lookup(self, key)
            if given != value:
                raise ValueError(f'recipe: {self.recipe} sets {key}: {value!r}, but the config '
                                 f'gives {given!r}; drop that setting or use recipe: ours')
        _check_choice('select_on', self.select_on, SELECT_ON)
        _check_choice('loss.pseudo_mask', self.loss.pseudo_mask, tuple(PSEUDO_MASK_RULES))
        _check_choice('data.image_backend', self.data.image_backend, IMAGE_BACKENDS)
        if not 0.0 <= self.data.val_fraction < 1.0:
            raise ValueError(f'data.val_fraction must be in [0, 1), got {self.data.val_fraction}')
        if self.select_on == 'validation' and self.data.val_fraction == 0.0:
            raise ValueError('select_on: validation needs data.val_fraction > 0')
        if self.select_on == 'test' and not self.evaluate_every_epoch:
            raise ValueError('select_on: test needs evaluate_every_epoch: true')
        check_run_size(self.epochs, self.batch_size)


SELECT_ON = ('validation', 'test')
RECIPES: Dict[str, Dict[str, Any]] = {
    'ours': {},
    'published': {'select_on': 'test', 'deterministic': True,
                  'data': {'val_fraction': 0.0, 'image_backend': 'pil'},
                  'loss': {'pseudo_mask': 'published'}},
}
"""What a recipe lays beneath the file and the overrides: the published settings where our
defaults differ. Every other default already is the published value."""


def load_config(path: Optional[Union[str, Path]] = None, overrides: Sequence[str] = (),
                kind: Type[Config] = TrainConfig) -> Config:
    """Defaults, then the YAML file at `path`, then `key.sub=value` overrides (YAML values).

    `kind` is the config dataclass (TrainConfig, or a command's own with a `check()` method);
    for TrainConfig the settings of its `recipe` go beneath the file and the overrides.
    """
    values = _read_values(path, overrides)
    if kind is TrainConfig:
        recipe = values.get('recipe', TrainConfig.recipe)
        values = _merged(RECIPES.get(recipe, {}), values)
    config = _build(kind, values, '')
    config.check()
    return config


def check_run_size(epochs: int, batch_size: int) -> None:
    """Raise ValueError unless `epochs` and `batch_size` are at least 1."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f'epochs and batch_size must be >= 1, got {epochs} and {batch_size}')


def check_data_root(root: str) -> None:
    """Raise ValueError when no data root is set."""
    if not root:
        raise ValueError('no data root: pass --data-root or set data_root in the config')


def to_dict(config: Any) -> Dict[str, Any]:
    """Plain nested dict of a configuration."""
    return dataclasses.asdict(config)


def save_config(config: Any, path: Path) -> None:
    """Write a resolved configuration as YAML (`load_config` reads it back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_dict(config), sort_keys=False))


def _read_values(path: Optional[Union[str, Path]], overrides: Sequence[str]) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f'config file not found: {path}')
        values = yaml.safe_load(path.read_text()) or {}
    for item in overrides:
        key, sep, raw = item.partition('=')
        if not sep or not key:
            raise ValueError(f'override {item!r} is not key=value, e.g. optim.lr=0.01')
        _set_nested(values, key.split('.'), yaml.safe_load(raw))
    return values


def _set_nested(values: Dict[str, Any], keys: List[str], value: Any) -> None:
    for key in keys[:-1]:
        values = values.setdefault(key, {})
    values[keys[-1]] = value


def _merged(base: Dict[str, Any], values: Dict[str, Any]) -> Dict[str, Any]:
    """`values` over `base`, section by section."""
    merged = dict(base)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = _merged(merged[key], value)
        merged[key] = value
    return merged


def _flatten(values: Dict[str, Any], prefix: str = '') -> Dict[str, Any]:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}.'))
        else:
            flat[prefix + key] = value
    return flat


def _lookup(config: Any, key: str) -> Any:
    for name in key.split('.'):
        config = getattr(config, name)
    return config


def _check_choice(key: str, value: Any, accepted: Sequence[str]) -> None:
    if value not in accepted:
        raise ValueError(f'{key} must be one of {tuple(accepted)}, got {value!r}')


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
            kwargs[name] = _typed(prefix + name, value, fields[name].type)
    return cls(**kwargs)


def _typed(key: str, value: Any, kind: Any) -> Any:
    """`value` as the field type `kind` (bool, int, float, str or Optional[str]), or TypeError."""
    if kind is float and not isinstance(value, bool) and isinstance(value, (int, str)):
        try:
            return float(value)  # YAML 1.1 reads 1e-3 (no dot) as a string
        except ValueError:
            pass
    accepted = typing.get_args(kind) or (kind,)
    if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
        names = ' or '.join('null' if t is type(None) else t.__name__ for t in accepted)
        raise TypeError(f'config key {key} must be {names}, got {value!r}')
    return value
