"""One benchmark run: every figure in interleaved rounds, in one process, on one machine."""
from pathlib import Path
import tempfile
from typing import Dict, Optional

import numpy as np
import torch

from bench.contenders import (accuracy, ACTION, BACKENDS, frame_figures, make_grounders,
                              make_model, network_figures, synced)
from bench.machine import machine_facts
from bench.metrics_speed import metrics_speed
from bench.rounds import interleaved_ms, round_ratios, summary
from bench.timing import median_ms, peak_host_mib, stage_medians
from looptrans_core.device import autocast
from looptrans_core.grounder import Grounder
from looptrans_core.peaks import grid_peak_candidates, select_peaks
from looptrans_core.postprocess import maps_to_host, resize_on_host
from looptrans_core.preprocess import normalise_batch, to_device_uint8

NAMES = [f'{backend}_{precision}' for backend, precision in BACKENDS]
RATIOS = (
    *((f'{name}_over_torch_fp32', f'{name}_one', 'torch_fp32_one') for name in NAMES[1:]),
    ('torch_fp32_over_published', 'torch_fp32_one', 'published_one'),
    *((f'{name}_all_over_one', f'{name}_all', f'{name}_one') for name in NAMES),
    ('published_all_over_torch_fp32_all', 'published_all', 'torch_fp32_all'),
    *((f'{name}_network_over_torch_fp32', f'{name}_network', 'torch_fp32_network')
      for name in [*NAMES[1:], 'onnxruntime_fp32']),
)
"""(ratio, numerator figure, denominator figure): taken within each round."""


def stages(grounder: Grounder, image: np.ndarray, repeats: int) -> Dict[str, float]:
    """Per-stage medians of an every-action call on torch: preprocess, backbone, heads, ...

    `heatmaps` is the cost of materialising all 36 full-size maps, which `ground()` does only
    for the maps a caller reads.
    """
    model, config = grounder.model, grounder.model.backbone_config
    state = {}

    def preprocess():
        tensor = to_device_uint8(image, 'rgb', grounder.device)
        state['batch'] = normalise_batch([tensor], config.input_size, config.mean, config.std)

    def backbone():
        with torch.inference_mode(), autocast(grounder.device, grounder.dtype):
            state['features'] = model.backbone_features(state['batch'])

    def heads():
        with torch.inference_mode():
            state['features'].keys = state['features'].keys.float()
            state['raw'] = model.ego_prediction(model.project(state['features']))[:, :36]

    def postprocess():
        state['host'] = maps_to_host(state['raw'], [image.shape[:2]])[0]

    def heatmaps():
        _, grids, _, size = state['host']
        resize_on_host(grids, size)

    def peaks():
        _, grids, _, size = state['host']
        select_peaks(grid_peak_candidates(grids, size, grounder.peak_config),
                     grounder.peak_config)

    named = {'preprocess': preprocess, 'backbone': backbone, 'heads': heads,
             'postprocess': postprocess, 'heatmaps': heatmaps, 'peaks': peaks}
    return stage_medians({name: synced(grounder.device, stage) for name, stage in named.items()},
                         repeats)


def run_benchmark(device: str = 'cpu', threads: Optional[int] = None, rounds: int = 9,
                  published_all: bool = True, batch: int = 8, backbone: Optional[str] = None,
                  calls: int = 5) -> Dict[str, object]:
    """Measure every figure of `bench`; return the machine's facts, figures, ratios, accuracy.

    Each figure's time in a round is the median of `calls` calls (the published pipeline's 36
    forwards, timed with `published_all`, once: about 2.5 s on a 2-core CPU). `backbone`
    replaces the published ViT-S/16 (e.g. a tiny one for a smoke test).
    """
    if threads:
        torch.set_num_threads(threads)
    model = make_model(backbone) if backbone else make_model()
    grounders, skipped = make_grounders(model, device, threads)
    reference = grounders['torch_fp32']
    image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    results: Dict[str, object] = {
        'machine': machine_facts(), 'device': str(reference.device),
        'backbone': model.backbone_config.name, 'image_size': '640x480', 'action': ACTION,
        'num_actions': len(reference.affordances), 'rounds': rounds, 'calls_per_round': calls,
        'skipped': skipped}
    with tempfile.TemporaryDirectory(prefix='looptrans_bench_') as folder:
        network = network_figures(grounders, image, threads, Path(folder))
        figures = {**frame_figures(grounders, model, image, published_all), **network}
        times = interleaved_ms(figures, rounds, calls, once={'published_all'})
        results['accuracy'] = accuracy(grounders, image, network)
    results['figures'] = summary(times)
    results['ratios'] = round_ratios(times, RATIOS)
    results['stages_torch_fp32_ms'] = stages(reference, image, rounds)
    results['torch_fp32_one_over_floor_plus_heads'] = (
        results['figures']['torch_fp32_one']['median_ms']
        / (results['figures']['torch_fp32_backbone_floor']['median_ms']
           + results['stages_torch_fp32_ms']['heads_ms']))
    for name, grounder in grounders.items():
        batch_ms = median_ms(synced(grounder.device, lambda g=grounder: g.ground_batch(
            [image] * batch, [ACTION])), 3)
        results[f'{name}_batch{batch}_images_per_s'] = 1000.0 * batch / batch_ms
    results['metrics'] = metrics_speed()
    results['peak_host_mib'] = peak_host_mib()
    if reference.device.type == 'cuda':
        results['peak_device_mib'] = torch.cuda.max_memory_allocated(reference.device) / 2 ** 20
    return results
