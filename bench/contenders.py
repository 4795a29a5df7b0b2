"""What `python -m bench` times: the published pipeline and ours on every backend, side by side.

End to end, a figure is a 640 x 480 RGB frame in and what the node publishes out: the peaks of
the requested actions and the heat map of one (`AffordanceMap.heatmap`, made on first access),
for one action (`hold`) and for all 36. The published pipeline gives every map at full size, one
forward per action. The network figures are one normalised 224 x 224 image in, raw maps out,
with ONNX Runtime fp32 as a reference runtime beside ours.
"""
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch

from bench.published_baseline import published_ground, published_transform
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.device import autocast, resolve_device
from looptrans_core.grounder import Grounder
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.network_graph import (export_onnx, missing_packages, MissingPackageError,
                                          ONNX_PACKAGES)
from looptrans_core.openvino_backend import BackendUnavailableError
from looptrans_core.preprocess import normalise_batch, to_device_uint8

ACTION = 'hold'
BACKENDS = (('torch', 'fp32'), ('torch', 'bf16'), ('openvino', 'fp32'), ('openvino', 'bf16'),
            ('openvino', 'int8'))
Figures = Dict[str, Callable[[], object]]


def make_model(backbone: str = DEFAULT_BACKBONE) -> LoopTrans:
    """Build the published architecture with seeded random weights (speed ignores them)."""
    torch.manual_seed(0)
    return LoopTrans(len(SEEN_AFFORDANCES), backbone=backbone).eval()


def synced(device: torch.device, function: Callable[[], object]) -> Callable[[], object]:
    """Wrap `function` to wait for the GPU to finish before it returns (no-op on the CPU)."""
    def run():
        result = function()
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        return result
    return run


def make_grounders(model: LoopTrans, device: str, threads: Optional[int],
                   ) -> Tuple[Dict[str, Grounder], Dict[str, str]]:
    """One Grounder per backend and precision that runs here, and why the others do not.

    Each has its own copy of `model`'s weights; OpenVINO runs on the CPU only.
    """
    grounders, skipped = {}, {}
    on_cpu = resolve_device(device).type == 'cpu'
    for backend, precision in BACKENDS:
        name = f'{backend}_{precision}'
        if backend == 'openvino' and not on_cpu:
            skipped[name] = 'OpenVINO runs on the CPU'
            continue
        try:
            clone = LoopTrans(model.num_affordances, model.backbone_config.name)
            clone.load_state_dict(model.state_dict())
            grounders[name] = Grounder(clone, SEEN_AFFORDANCES, device, precision,
                                       threads=threads, backend=backend)
        except (BackendUnavailableError, MissingPackageError) as error:
            skipped[name] = str(error)
    return grounders, skipped


def frame_figures(grounders: Dict[str, Grounder], model: LoopTrans, image: np.ndarray,
                  published_all: bool) -> Figures:
    """End-to-end figures: `<name>_one` and `<name>_all` for each Grounder and the published."""
    label = SEEN_AFFORDANCES.index(ACTION)
    transform = published_transform(model)
    figures: Figures = {'published_one': lambda: published_ground(model, image, [label],
                                                                  transform)}
    if published_all:
        figures['published_all'] = lambda: published_ground(model, image, range(36), transform)
    for name, grounder in grounders.items():
        device = grounder.device
        figures[f'{name}_one'] = synced(
            device, lambda g=grounder: g.ground(image, [ACTION])[ACTION].heatmap)
        figures[f'{name}_all'] = synced(device, lambda g=grounder: g.ground(image)[ACTION].heatmap)
    return figures


def network_figures(grounders: Dict[str, Grounder], image: np.ndarray, threads: Optional[int],
                    folder: Path) -> Figures:
    """Network figures: `<name>_network` per Grounder, ONNX Runtime fp32, the backbone floor."""
    figures: Figures = {}
    for name, grounder in grounders.items():
        tensor = to_device_uint8(image, 'rgb', grounder.device)
        figures[f'{name}_network'] = synced(grounder.device,
                                            lambda g=grounder, t=tensor: g.raw_maps([t]))
    reference = grounders['torch_fp32']
    batch = torch.randn(1, 3, 224, 224, device=reference.device)

    def floor():
        with torch.inference_mode(), autocast(reference.device, reference.dtype):
            return reference.model.backbone_features(batch)

    figures['torch_fp32_backbone_floor'] = synced(reference.device, floor)
    if reference.device.type == 'cpu' and not missing_packages(('onnxruntime', *ONNX_PACKAGES)):
        figures['onnxruntime_fp32_network'] = onnxruntime_figure(reference, image, threads,
                                                                 folder)
    return figures


def onnxruntime_figure(grounder: Grounder, image: np.ndarray, threads: Optional[int],
                       folder: Path) -> Callable[[], object]:
    """ONNX Runtime fp32 on our exported network, with our normalisation before it."""
    import onnxruntime

    path = folder / 'model.onnx'
    export_onnx(grounder.model, path)
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=['CPUExecutionProvider'])
    config = grounder.model.backbone_config
    tensor = to_device_uint8(image, 'rgb', grounder.device)

    def run():
        batch = normalise_batch([tensor], config.input_size, config.mean, config.std)
        return session.run(None, {session.get_inputs()[0].name: batch.numpy()})[0]
    return run


def accuracy(grounders: Dict[str, Grounder], image: np.ndarray,
             network: Figures) -> Dict[str, float]:
    """Largest absolute difference from torch fp32: every action's heat map, and raw maps."""
    reference = grounders['torch_fp32'].ground(image)
    result = {}
    for name, grounder in grounders.items():
        maps = grounder.ground(image)
        result[f'{name}_heatmap_max_abs_diff'] = max(
            float(np.abs(maps[a].heatmap - reference[a].heatmap).max()) for a in maps)
    if 'onnxruntime_fp32_network' in network:
        raw = network['torch_fp32_network']().cpu().numpy()
        result['onnxruntime_fp32_raw_max_abs_diff'] = float(
            np.abs(network['onnxruntime_fp32_network']() - raw).max())
    return result
