"""Evaluation on an AGD20K test set, exactly as the published code evaluates.

Per image: the image goes through the test transform (`preprocess.normalise_batch`); the raw
14 x 14 map of its label is resized to 224 x 224 with `cv2.resize` (bilinear) and min-max
normalised as `(m - min) / (max - min + 1e-10)`; the GT is divided by 255 and resized to
224 x 224 the same way; KLD, SIM and NSS (`metrics`) are averaged over the images.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.device import autocast, resolve_device, resolve_precision
from looptrans_core.image_io import write_map_png
from looptrans_core.metrics import all_metrics
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE, get_backbone_config
from looptrans_core.preprocess import normalise_batch, to_device_uint8

EVAL_SIZE = 224
METRICS = ('KLD', 'SIM', 'NSS')


@dataclass
class EvaluationResult:
    """Mean metrics over a test set and the per-image values.

    Attributes:
        kld, sim, nss: means over the evaluated images (NaN propagates, as published).
        num_images: images evaluated.
        per_image: relative image path -> {'KLD', 'SIM', 'NSS'}.
        skipped: test images without a GT file, not evaluated.
    """

    kld: float
    sim: float
    nss: float
    num_images: int
    per_image: Dict[str, Dict[str, float]] = field(default_factory=dict)
    skipped: int = 0

    def to_json(self) -> Dict[str, object]:
        """Return the `--json` document: KLD, SIM, NSS, num_images, per_image."""
        return {'KLD': self.kld, 'SIM': self.sim, 'NSS': self.nss,
                'num_images': self.num_images, 'per_image': self.per_image}


class CenterBiasPrior(nn.Module):
    """A baseline that ignores the image: the same centred Gaussian for every affordance.

    It stands in for a LoopTrans model in `evaluate` (same call, same output layout).

    Args:
        num_affordances: channels to output.
        sigma: standard deviation as a fraction of the grid side.
        backbone: registry name whose input size and normalisation the evaluation applies.
    """

    def __init__(self, num_affordances: int, sigma: float = 0.25,
                 backbone: str = DEFAULT_BACKBONE) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f'sigma must be > 0 (a fraction of the grid side), got {sigma}')
        self.backbone_config = get_backbone_config(backbone)
        self.num_affordances = num_affordances
        side = self.backbone_config.input_size // 16
        offsets = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) / side
        gauss = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
        self.register_buffer('prior', torch.outer(gauss, gauss), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, num_affordances, rows, cols) copies of the prior."""
        return self.prior.expand(images.shape[0], self.num_affordances, *self.prior.shape)


def prediction_map(raw: np.ndarray) -> np.ndarray:
    """Resize a raw patch-grid map to 224 x 224 (bilinear) and min-max normalise it."""
    resized = cv2.resize(raw, (EVAL_SIZE, EVAL_SIZE))
    low = np.min(resized)
    return (resized - low) / (np.max(resized) - low + 1e-10)


def gt_map(gt: np.ndarray) -> np.ndarray:
    """Divide a 0-255 GT map by 255 and resize it to 224 x 224 (bilinear)."""
    return cv2.resize(gt / 255.0, (EVAL_SIZE, EVAL_SIZE))


@torch.inference_mode()
def label_maps(model: nn.Module, items: List[dict], device: torch.device,
               dtype: torch.dtype) -> np.ndarray:
    """One forward pass: (B, 224, 224) normalised maps of each item's label."""
    config = model.backbone_config
    tensors = [to_device_uint8(item['image'], 'rgb', device) for item in items]
    batch = normalise_batch(tensors, config.input_size, config.mean, config.std)
    with autocast(device, dtype):
        raw = model(batch).float()
    return chosen_label_maps(raw, items)


def chosen_label_maps(raw: torch.Tensor, items: List[dict]) -> np.ndarray:
    """(B, 224, 224) normalised maps of each item's label channel of the raw maps `raw`."""
    labels = torch.tensor([item['label'] for item in items], device=raw.device)
    chosen = raw[torch.arange(len(items), device=raw.device), labels].cpu().numpy()
    return np.stack([prediction_map(m) for m in chosen])


def evaluate(model: nn.Module, test_set: AGD20KTestSet, device: Union[str, torch.device] = 'cpu',
             batch_size: int = 16, precision: str = 'fp32', num_workers: int = 0,
             save_maps: Optional[Union[str, Path]] = None,
             progress: bool = False) -> EvaluationResult:
    """Evaluate `model` (a LoopTrans or a CenterBiasPrior) on `test_set`.

    The model is moved to `device` and run in eval mode; its previous mode is restored.
    `save_maps` writes each 224 x 224 prediction as `<dir>/<affordance>/<object>/<stem>.png`.
    """
    if len(test_set) == 0:
        raise ValueError(f'the test set has no images with a GT map ({test_set.skipped} '
                         'skipped without GT)')
    device = torch.device(device) if isinstance(device, torch.device) else resolve_device(device)
    dtype, was_training = resolve_precision(precision), model.training
    model.to(device).eval()
    loader = DataLoader(test_set, batch_size=batch_size, num_workers=num_workers,
                        collate_fn=list)
    per_image = {}
    try:
        with tqdm(total=len(test_set), unit='image', disable=not progress) as bar:
            for items in loader:
                preds = label_maps(model, items, device, dtype)
                for path, values in batch_metrics(preds, items, save_maps):
                    per_image[path] = values
                bar.update(len(items))
    finally:
        model.train(was_training)
    means = {name: float(np.mean([v[name] for v in per_image.values()])) for name in METRICS}
    return EvaluationResult(means['KLD'], means['SIM'], means['NSS'], len(per_image), per_image,
                            test_set.skipped)


def batch_metrics(preds: np.ndarray, items: List[dict], save_maps: Optional[Union[str, Path]],
                  ) -> List[Tuple[str, Dict[str, float]]]:
    """(relative path, metrics) of each item; writes the prediction maps when asked."""
    values = all_metrics(preds, np.stack([gt_map(item['gt']) for item in items]))
    if save_maps is not None:
        for pred, item in zip(preds, items):
            write_map_png(Path(save_maps) / Path(item['path']).with_suffix('.png'), pred)
    return [(item['path'], {name: float(values[name][i]) for name in METRICS})
            for i, item in enumerate(items)]
