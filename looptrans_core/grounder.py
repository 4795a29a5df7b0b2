"""Grounder: the ROS-free inference API. Images in, heat maps and interaction points out."""
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
import reprlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from looptrans_core.calibration import calibration_set
from looptrans_core.checkpoints import (affordance_names_error, CheckpointMetadata,
                                        load_checkpoint)
from looptrans_core.device import backend_error, resolve_device, resolve_precision
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.openvino_backend import OpenVINONetwork
from looptrans_core.peaks import grid_peak_candidates, Peak, PeakConfig, select_peaks
from looptrans_core.postprocess import HostMaps, maps_to_host, resize_on_host
from looptrans_core.preprocess import (check_channel_order, check_image, normalise_batch,
                                       to_device_uint8)
from looptrans_core.speedups import channels_last as to_channels_last
from looptrans_core.speedups import compiled, set_threads

Names = Union[str, Iterable]
"""One name (str) or an iterable of names."""
NAMES_ACCEPTED = ('one name (str) or an iterable of names (list, tuple, generator, 1-D numpy '
                  'array of str)')


@dataclass
class AffordanceMap:
    """The grounding of one action on one image.

    Attributes:
        action: the affordance name.
        peaks: interaction points, best first, in pixels of the input image.
        raw: the raw (unnormalised) patch-grid map, e.g. 14 x 14, when requested.
        grid: the min-max normalised patch-grid map the heat map is resized from.
        size: (H, W) of the input image.
    """

    action: str
    peaks: List[Peak]
    raw: Optional[np.ndarray]
    grid: np.ndarray
    size: Tuple[int, int]
    _heatmap: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def heatmap(self) -> np.ndarray:
        """H x W float32 in [0, 1] at the input's resolution, made on first access."""
        if self._heatmap is None:
            self._heatmap = resize_on_host(self.grid[None], self.size)[0]
        return self._heatmap


def shown(value: Any) -> str:
    """Describe `value` for an error message: its type and a short repr (arrays by shape)."""
    if value is None:
        return 'None'
    if isinstance(value, np.ndarray):
        return f'a {value.dtype} numpy array of shape {value.shape}'
    if isinstance(value, np.generic):
        return f'numpy {value.dtype} {value.item()!r}'
    return f'{type(value).__name__} {reprlib.repr(value)}'


def name_list(names: Names, argument: str) -> List[str]:
    """Read `names` once into a list of str; a single str is one name.

    Raises:
        TypeError: `names` is not a str or an iterable of str (the message names `argument`).
        ValueError: `names` is a numpy array that is not 1-D.
    """
    if isinstance(names, str):
        return [str(names)]
    if isinstance(names, np.ndarray) and names.ndim != 1:
        raise ValueError(f'{argument} as a numpy array must be 1-D, got shape {names.shape}; '
                         f'accepted: {NAMES_ACCEPTED}')
    if isinstance(names, (bytes, bytearray)) or not isinstance(names, Iterable):
        raise TypeError(f'{argument} must be {NAMES_ACCEPTED}; got {shown(names)}')
    items = list(names)
    odd = [index for index, item in enumerate(items) if not isinstance(item, str)]
    if odd:
        raise TypeError(f'{argument} must hold names (str); item {odd[0]} is '
                        f'{shown(items[odd[0]])}')
    return [str(item) for item in items]


def image_list(images: Any) -> List[np.ndarray]:
    """Return `images` (a sequence of images, or an N x H x W x 3 array) as a non-empty list."""
    one_array = isinstance(images, np.ndarray) and images.ndim != 4
    if one_array or isinstance(images, (str, bytes)) or not isinstance(images, Iterable):
        hint = '; use ground() for one image' if one_array else ''
        raise TypeError('ground_batch() takes a list of H x W x 3 uint8 numpy arrays, got '
                        f'{shown(images)}{hint}')
    images = list(images)
    if not images:
        raise ValueError('ground_batch() got an empty list of images')
    for index, image in enumerate(images):
        check_image(image, f'images[{index}]')
    return images


def channel_orders(channel_order: Union[str, Sequence[str]], count: int) -> List[str]:
    """Return one channel order per image: `channel_order` for all, or one each from a sequence."""
    if isinstance(channel_order, str):
        return [check_channel_order(channel_order)] * count
    if not isinstance(channel_order, Iterable):
        raise TypeError("channel_order must be 'rgb', 'bgr' or a sequence of them, one per "
                        f'image; got {shown(channel_order)}')
    orders = list(channel_order)
    if len(orders) != count:
        raise ValueError(f'{len(orders)} channel orders for {count} images')
    return [check_channel_order(order) for order in orders]


def check_peak_config(peak_config: Any, optional: bool) -> None:
    """Raise TypeError unless `peak_config` is a PeakConfig (or None when `optional`)."""
    if not isinstance(peak_config, PeakConfig) and not (optional and peak_config is None):
        accepted = 'a PeakConfig or None' if optional else 'a PeakConfig'
        raise TypeError(f'peak_config must be {accepted}, got {shown(peak_config)}')


def openvino_device(device: str, channels_last: bool,
                    compile_mode: Optional[str]) -> torch.device:
    """Return the CPU, after refusing what backend 'openvino' does not take ('auto' = CPU)."""
    if device not in ('auto', 'cpu'):
        raise ValueError(f"backend 'openvino' runs on the CPU; got device {device!r}: use "
                         "'cpu' (or backend 'torch' for CUDA)")
    if channels_last or compile_mode:
        given = 'channels_last=True' if channels_last else f'compile_mode={compile_mode!r}'
        raise ValueError(f"{given} is an option of backend 'torch'; backend 'openvino' takes "
                         'neither (its network is compiled by OpenVINO)')
    return torch.device('cpu')


@dataclass(frozen=True)
class PreparedBatch:
    """Images made ready for the network (`Grounder.prepare`), with what `finish` needs.

    Attributes:
        inputs: the normalised (B, 3, S, S) batch on the Grounder's device.
        sizes: each image's (height, width).
        names: the actions asked for.
        peak_config: the peak settings of this batch.
        return_raw: whether the results keep the raw patch-grid maps.
    """

    inputs: torch.Tensor
    sizes: List[Tuple[int, int]]
    names: List[str]
    peak_config: PeakConfig
    return_raw: bool


class Grounder:
    """Grounds affordances on images with a LoopTrans or LOCATE network, on CPU or CUDA.

    Every requested action comes out of one forward pass per batch. The network runs on a
    backend: 'torch' (the default; CPU or CUDA, precision fp32, or bf16 / fp16 autocast of the
    backbone) or 'openvino' (CPU only; the whole network converted once and cached, see
    `openvino_backend`; precision fp32, bf16 on CPUs with native bf16, or int8 by NNCF
    post-training quantisation on `calibration`: a folder of images, None for synthetic scenes).
    Speed options (all off by default; none changes results beyond float rounding):

    - threads: CPU threads (torch's for the process, and OpenVINO's inference threads).
    - channels_last: channels-last convolution weights (torch).
    - compile_mode: a `torch.compile` mode ('default'; 'reduce-overhead' records CUDA graphs),
      with an eager fallback when compiling is unavailable (torch).
    """

    def __init__(self, model: GroundingNet, affordances: Names, device: str = 'auto',
                 precision: str = 'fp32', peak_config: PeakConfig = PeakConfig(),
                 metadata: Optional[CheckpointMetadata] = None, *, threads: Optional[int] = None,
                 channels_last: bool = False, compile_mode: Optional[str] = None,
                 backend: str = 'torch', calibration: Optional[Union[str, Path]] = None,
                 cache_dir: Optional[Union[str, Path]] = None) -> None:
        affordances = tuple(name_list(affordances, 'affordances'))
        reason = affordance_names_error(affordances)
        if reason:
            raise ValueError(f'affordances: {reason}')
        if len(affordances) != model.num_affordances:
            raise ValueError(f'{len(affordances)} affordance names for a model with '
                             f'{model.num_affordances} affordance channels')
        check_peak_config(peak_config, optional=False)
        reason = backend_error(backend, precision)
        if reason:
            raise ValueError(reason)
        if calibration and (backend, precision) != ('openvino', 'int8'):
            raise ValueError("calibration is used only by backend 'openvino' with precision "
                             f"'int8', not by {backend!r} {precision!r}")
        set_threads(threads)
        self.backend = backend
        self.precision = precision
        if backend == 'openvino':
            self.device = openvino_device(device, channels_last, compile_mode)
            self.dtype = torch.float32
            self.model = model.to(self.device).eval()
            self._forward = OpenVINONetwork(
                self.model, precision, calibration_set(calibration) if precision == 'int8'
                else None, threads, cache_dir)
        else:
            self.device = resolve_device(device)
            self.dtype = resolve_precision(precision)
            self.model = model.to(self.device).eval()
            if channels_last:
                self.model = to_channels_last(self.model)
            self._forward = compiled(partial(self.model, backbone_dtype=self.dtype),
                                     compile_mode)
        self.affordances = affordances
        self.peak_config = peak_config
        self.metadata = metadata
        self.source: Optional[Path] = None
        """The checkpoint file the weights came from (set by `from_checkpoint`)."""
        self._index = {name: i for i, name in enumerate(self.affordances)}

    @property
    def method(self) -> str:
        """Whose test-time network runs: 'looptrans' or 'locate' (LOCATE's released models)."""
        return self.model.method

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
        """Load a published `.pth` (LoopTrans or LOCATE) or our `.safetensors` onto `device`.

        `options` are the constructor's keyword options (threads, channels_last, compile_mode,
        backend, calibration, cache_dir).
        """
        model, metadata = load_checkpoint(path)
        grounder = cls(model, metadata.affordances, device, precision, peak_config, metadata,
                       **options)
        grounder.source = Path(path)
        return grounder

    def validate_actions(self, actions: Optional[Names]) -> List[str]:
        """Return `actions` as a list (every affordance when None), or raise saying why.

        `actions` is one action name or any iterable of them (list, tuple, generator, 1-D numpy
        array of str), read exactly once. Each must be one of `affordances` and appear once:
        a repeated action is refused, not merged, since results are keyed by action (the node
        refuses repeats too).

        Raises:
            TypeError: `actions` is not None, a str or an iterable of str.
            ValueError: no action, an unknown action, or an action named twice.
        """
        if actions is None:
            return list(self.affordances)
        names = name_list(actions, 'actions')
        valid = f'valid actions: {", ".join(self.affordances)}'
        if not names:
            raise ValueError(f'actions is empty; pass None for every affordance, or some of the '
                             f'{valid}')
        unknown = [name for name in names if name not in self._index]
        if unknown:
            raise ValueError(f'unknown action(s) {reprlib.repr(unknown)}; {valid}')
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        if repeated:
            raise ValueError(f'actions name {reprlib.repr(repeated)} more than once; name each '
                             'action once')
        return names

    def ground(self, image: np.ndarray, actions: Optional[Names] = None, *,
               channel_order: str = 'rgb', peak_config: Optional[PeakConfig] = None,
               return_raw: bool = False) -> Dict[str, AffordanceMap]:
        """Ground `actions` on one image; return action -> AffordanceMap.

        Args:
            image: H x W x 3 uint8 array in RGB order (see `channel_order`).
            actions: one affordance name or an iterable of them, see `validate_actions`;
                None means every affordance.
            channel_order: 'rgb' (default) or 'bgr' (OpenCV's order).
            peak_config: a PeakConfig overriding the Grounder's peak settings for this call.
            return_raw: also return the raw patch-grid maps.

        Raises:
            TypeError: an argument of the wrong type (the message names it and what it takes).
            ValueError: an image of the wrong shape, or actions that `validate_actions` refuses.
        """
        if not isinstance(image, np.ndarray):
            hint = ('; cv2.imread returns None for a file it cannot read' if image is None else
                    '; use ground_batch() for a list of images' if isinstance(image, (list, tuple))
                    else '')
            raise TypeError('ground() takes one H x W x 3 uint8 numpy array as image, got '
                            f'{shown(image)}{hint}')
        check_image(image)
        return self.ground_batch([image], actions, channel_order=channel_order,
                                 peak_config=peak_config, return_raw=return_raw)[0]

    def ground_batch(self, images: Sequence[np.ndarray],
                     actions: Optional[Names] = None, *,
                     channel_order: Union[str, Sequence[str]] = 'rgb',
                     peak_config: Optional[PeakConfig] = None,
                     return_raw: bool = False) -> List[Dict[str, AffordanceMap]]:
        """Ground `actions` on a list of images (sizes may differ) in one forward pass.

        `images` is a sequence of H x W x 3 uint8 arrays (or one N x H x W x 3 array);
        `channel_order` is one order for all images or one per image; the other arguments and
        the errors are those of `ground`. Returns one dict action -> AffordanceMap per image, in
        order.
        """
        prepared = self.prepare(images, actions, channel_order=channel_order,
                                peak_config=peak_config, return_raw=return_raw)
        return self.finish(prepared, self.network(prepared))

    def prepare(self, images: Sequence[np.ndarray], actions: Optional[Names] = None, *,
                channel_order: Union[str, Sequence[str]] = 'rgb',
                peak_config: Optional[PeakConfig] = None,
                return_raw: bool = False) -> 'PreparedBatch':
        """Check, resize and normalise images: the first step of `ground_batch` (same arguments).

        `ground_batch` is `finish(prepared, network(prepared))`; the steps apart let a caller
        overlap them (prepare the next batch while the network runs on this one) and time each.
        """
        images = image_list(images)
        orders = channel_orders(channel_order, len(images))
        check_peak_config(peak_config, optional=True)
        names = self.validate_actions(actions)
        tensors = [to_device_uint8(img, order, self.device) for img, order in zip(images, orders)]
        config = self.model.backbone_config
        with torch.inference_mode():
            inputs = normalise_batch(tensors, config.input_size, config.mean, config.std)
        return PreparedBatch(inputs, [tuple(t.shape[-2:]) for t in tensors], names,
                             peak_config or self.peak_config, return_raw)

    @torch.inference_mode()
    def network(self, prepared: 'PreparedBatch') -> torch.Tensor:
        """Run the network on `prepared`: (B, actions, rows, cols) raw maps of its actions."""
        return self._forward(prepared.inputs)[:, [self._index[a] for a in prepared.names]]

    def finish(self, prepared: 'PreparedBatch',
               raw: torch.Tensor) -> List[Dict[str, AffordanceMap]]:
        """Bring the maps to the host and pick peaks (the last step); one dict per image."""
        host = maps_to_host(raw, prepared.sizes)
        return [self._finish(maps, prepared.names, prepared.peak_config, prepared.return_raw)
                for maps in host]

    @torch.inference_mode()
    def raw_maps(self, images: Sequence[torch.Tensor]) -> torch.Tensor:
        """One forward pass: (B, num_affordances, rows, cols) raw maps of 3 x H x W images."""
        config = self.model.backbone_config
        return self._forward(normalise_batch(images, config.input_size, config.mean, config.std))

    @staticmethod
    def _finish(maps: HostMaps, names: List[str], config: PeakConfig,
                return_raw: bool) -> Dict[str, AffordanceMap]:
        heatmaps, grids, raw, size = maps
        peaks = select_peaks(grid_peak_candidates(grids, size, config), config)
        return {name: AffordanceMap(name, peaks[i], raw[i] if return_raw else None, grids[i],
                                    size, None if heatmaps is None else heatmaps[i])
                for i, name in enumerate(names)}
