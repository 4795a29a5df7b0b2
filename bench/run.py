"""One benchmark run: our Grounder against the published pipeline, on one machine, one process."""
import copy
import os
from typing import Dict

import numpy as np
import torch

from bench.metrics_speed import metrics_speed
from bench.published_baseline import published_ground, published_transform
from bench.timing import median_ms, peak_host_mib, stage_medians
from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.device import autocast
from looptrans_core.grounder import Grounder
from looptrans_core.model.backbone_registry import DEFAULT_BACKBONE
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.peaks import grid_peak_candidates, select_peaks
from looptrans_core.postprocess import maps_to_host, resize_on_host
from looptrans_core.preprocess import normalise_batch, to_device_uint8

ACTION = 'hold'


def make_model(backbone: str = DEFAULT_BACKBONE) -> LoopTrans:
    """Build the published architecture with seeded random weights (speed ignores them)."""
    torch.manual_seed(0)
    return LoopTrans(len(SEEN_AFFORDANCES), backbone=backbone).eval()


def _synced(grounder: Grounder, function):
    def run():
        result = function()
        if grounder.device.type == 'cuda':
            torch.cuda.synchronize(grounder.device)
        return result
    return run


def stages(grounder: Grounder, image: np.ndarray, repeats: int) -> Dict[str, float]:
    """Per-stage medians of an every-action call: preprocess, backbone, heads, post, peaks.

    `heatmaps` is the cost of materialising all 36 full-size maps, which `ground()` now does
    only for the maps a caller reads.
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
    return stage_medians({k: _synced(grounder, f) for k, f in named.items()}, repeats)


def run_benchmark(device: str, precision: str, threads: int, repeats: int,
                  baseline_all_repeats: int, batch: int) -> Dict[str, object]:
    """Measure every figure of `bench` and return them as one flat dict."""
    model = make_model()
    baseline_model = copy.deepcopy(model)
    grounder = Grounder(model, SEEN_AFFORDANCES, device, precision, threads=threads)
    image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    label = SEEN_AFFORDANCES.index(ACTION)
    transform = published_transform(baseline_model)
    batch_224 = torch.randn(1, 3, 224, 224, device=grounder.device)

    def floor():
        with torch.inference_mode(), autocast(grounder.device, grounder.dtype):
            return model.backbone_features(batch_224)

    results: Dict[str, object] = {
        'device': str(grounder.device), 'precision': precision,
        'torch_threads': torch.get_num_threads(), 'num_actions': len(SEEN_AFFORDANCES),
        'image_size': '640x480', 'repeats': repeats, 'load_average_1min': os.getloadavg()[0]}
    if grounder.device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(grounder.device)
    # Interleave the three main figures so that load from other processes hits them alike.
    results['backbone_floor_ms'] = median_ms(_synced(grounder, floor), repeats)
    results['one_action_ms'] = median_ms(lambda: grounder.ground(image, [ACTION]), repeats)
    results['all_actions_ms'] = median_ms(lambda: grounder.ground(image), repeats)
    results['baseline_one_action_ms'] = median_ms(
        lambda: published_ground(baseline_model, image, [label], transform), repeats)
    results['baseline_all_actions_ms'] = median_ms(
        lambda: published_ground(baseline_model, image, range(36), transform),
        baseline_all_repeats, warmup=0)
    results.update(stages(grounder, image, repeats))
    batch_ms = median_ms(lambda: grounder.ground_batch([image] * batch, [ACTION]), repeats)
    results[f'batch{batch}_images_per_s'] = 1000.0 * batch / batch_ms
    results.update(metrics_speed())
    results['peak_host_mib'] = peak_host_mib()
    if grounder.device.type == 'cuda':
        results['peak_device_mib'] = torch.cuda.max_memory_allocated(grounder.device) / 2 ** 20
    return add_ratios(results)


def add_ratios(results: Dict[str, object]) -> Dict[str, object]:
    """Add the issue's targets as ratios of figures measured in this run."""
    one = results['one_action_ms']
    results['all_over_one'] = results['all_actions_ms'] / one
    results['one_over_baseline_one'] = one / results['baseline_one_action_ms']
    results['one_over_floor_plus_heads'] = one / (results['backbone_floor_ms']
                                                  + results['heads_ms'])
    results['baseline_all_over_all'] = results['baseline_all_actions_ms'] / results[
        'all_actions_ms']
    return results
