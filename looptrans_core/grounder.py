"""Grounder: the ROS-free inference API. Images in, heat maps and interaction points out."""
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from looptrans_core.checkpoints import CheckpointMetadata, load_checkpoint
from looptrans_core.device import resolve_device, resolve_precision
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.peaks import grid_peak_candidates, Peak, PeakConfig, select_peaks
from looptrans_core.postprocess import HostMaps, maps_to_host
from looptrans_core.preprocess import normalise_batch, to_device_uint8
from looptrans_core.speedups import channels_last as to_channels_last
from looptrans_core.speedups import compiled, quantize_backbone_int8, set_threads


@dataclass
class AffordanceMap:
    """The grounding of one action on one image.

    Attributes:
        action: the affordance name.
        heatmap: H x W float32 in [0, 1], at the input image's resolution.
        peaks: interaction points, best first, in pixels of the input image.
        raw: the raw (unnormalised) patch-grid map, e.g. 14 x 14, when requested.
    """

    action: str
    heatmap: np.ndarray
    peaks: List[Peak]
    raw: Optional[np.ndarray] = None


class Grounder:
    """Grounds affordances on images with a LoopTrans model, on CPU or CUDA.

    Every requested action comes out of one forward pass per batch. Speed options (all off by
    default; none changes results beyond float rounding, except int8):

    - threads: torch CPU threads for the process (`torch.set_num_threads`).
    - precision 'int8': dynamic int8 quantisation of the backbone's Linear layers, CPU only.
    - channels_last: channels-last convolution weights.
    - compile_mode: a `torch.compile` mode ('default'; 'reduce-overhead' records CUDA graphs),
      with an eager fallback when compiling is unavailable.
    """

    def __init__(self, model: LoopTrans, affordances: Sequence[str], device: str = 'auto',
                 precision: str = 'fp32', peak_config: PeakConfig = PeakConfig(),
                 metadata: Optional[CheckpointMetadata] = None, *, threads: Optional[int] = None,
                 channels_last: bool = False, compile_mode: Optional[str] = None) -> None:
        if len(affordances) != model.num_affordances:
            raise ValueError(f'{len(affordances)} affordance names for a model with '
                             f'{model.num_affordances} affordance channels')
        set_threads(threads)
        self.device = resolve_device(device)
        self.precision = precision
        self.dtype = resolve_precision('fp32' if precision == 'int8' else precision)
        self.model = model.to(self.device).eval()
        if precision == 'int8':
            self.model = quantize_backbone_int8(self.model, self.device)
        if channels_last:
            self.model = to_channels_last(self.model)
        self._forward = compiled(partial(self.model, backbone_dtype=self.dtype), compile_mode)
        self.affordances = tuple(affordances)
        self.peak_config = peak_config
        self.metadata = metadata
        self._index = {name: i for i, name in enumerate(self.affordances)}

    def suspend(self) -> None:
        """Move the model off the accelerator and free its cached memory (a paused node)."""
        if self.device.type == 'cuda':
            self.model.to('cpu')
            torch.cuda.empty_cache()

    def resume(self) -> None:
        """Move the model back to its device after `suspend`."""
        self.model.to(self.device)

    @classmethod
    def from_checkpoint(cls, path: Union[str, Path], device: str = 'auto',
                        precision: str = 'fp32',
                        peak_config: PeakConfig = PeakConfig(), **options) -> 'Grounder':
        """Load a published `.pth` or our `.safetensors` checkpoint onto `device`.

        `options` are the constructor's speed options (threads, channels_last, compile_mode).
        """
        model, metadata = load_checkpoint(path)
        return cls(model, metadata.affordances, device, precision, peak_config, metadata,
                   **options)

    def validate_actions(self, actions: Optional[Sequence[str]]) -> List[str]:
        """Return `actions` (all affordances when None), or raise naming the valid ones."""
        if actions is None:
            return list(self.affordances)
        if isinstance(actions, str):
            actions = [actions]
        unknown = [a for a in actions if a not in self._index]
        if unknown or not actions:
            raise ValueError(f'unknown action(s) {unknown or actions}; valid actions: '
                             f'{", ".join(self.affordances)}')
        return list(actions)

    def ground(self, image: np.ndarray, actions: Optional[Sequence[str]] = None, *,
               channel_order: str = 'rgb', peak_config: Optional[PeakConfig] = None,
               return_raw: bool = False) -> Dict[str, AffordanceMap]:
        """Ground `actions` on one image; return action -> AffordanceMap.

        Args:
            image: H x W x 3 uint8 array in RGB order (see `channel_order`).
            actions: affordance names; None means every affordance.
            channel_order: 'rgb' (default) or 'bgr' (OpenCV's order).
            peak_config: overrides the Grounder's peak settings for this call.
            return_raw: also return the raw patch-grid maps.
        """
        if not isinstance(image, np.ndarray):
            raise TypeError(f'ground() takes one H x W x 3 uint8 numpy array, got '
                            f'{type(image).__name__}; use ground_batch() for a list of images')
        return self.ground_batch([image], actions, channel_order=channel_order,
                                 peak_config=peak_config, return_raw=return_raw)[0]

    def ground_batch(self, images: Sequence[np.ndarray],
                     actions: Optional[Sequence[str]] = None, *,
                     channel_order: Union[str, Sequence[str]] = 'rgb',
                     peak_config: Optional[PeakConfig] = None,
                     return_raw: bool = False) -> List[Dict[str, AffordanceMap]]:
        """Ground `actions` on a list of images (sizes may differ) in one forward pass.

        `channel_order` is one order for all images or one per image; the other arguments are
        those of `ground`. Returns one dict action -> AffordanceMap per image, in order.
        """
        images = list(images)
        if not images:
            raise ValueError('ground_batch() got an empty list of images')
        orders = [channel_order] * len(images) if isinstance(channel_order, str) else \
            list(channel_order)
        if len(orders) != len(images):
            raise ValueError(f'{len(orders)} channel orders for {len(images)} images')
        names = self.validate_actions(actions)
        tensors = [to_device_uint8(img, order, self.device) for img, order in zip(images, orders)]
        raw = self.raw_maps(tensors)[:, [self._index[a] for a in names]]
        host = maps_to_host(raw, [tuple(t.shape[-2:]) for t in tensors])
        return [self._finish(maps, names, peak_config or self.peak_config, return_raw)
                for maps in host]

    @torch.inference_mode()
    def raw_maps(self, images: Sequence[torch.Tensor]) -> torch.Tensor:
        """One forward pass: (B, num_affordances, rows, cols) raw maps of 3 x H x W images."""
        config = self.model.backbone_config
        return self._forward(normalise_batch(images, config.input_size, config.mean, config.std))

    @staticmethod
    def _finish(maps: HostMaps, names: List[str], config: PeakConfig,
                return_raw: bool) -> Dict[str, AffordanceMap]:
        heatmaps, grids, raw = maps
        peaks = select_peaks(grid_peak_candidates(grids, heatmaps.shape[-2:], config), config)
        return {name: AffordanceMap(name, heatmaps[i], peaks[i], raw[i] if return_raw else None)
                for i, name in enumerate(names)}
