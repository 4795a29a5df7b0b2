"""Export the test-time network to ONNX or OpenVINO IR, with a `model.json` on how to feed it.

The exported graph is `GroundingNet.forward` (LoopTrans or LOCATE) in fp32: a batch of
normalised RGB images (B, 3, S, S) in, the raw affordance maps (B, num_affordances, rows, cols)
out, which is what `Grounder.raw_maps` computes after `normalise_batch`. Resizing and normalising
the images, upsampling the maps and finding peaks stay with the caller; `model.json` says how.
`network_graph` builds the graph; the optional packages it needs are checked here first.
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from looptrans_core.default_model import load_default_grounder
from looptrans_core.grounder import Grounder
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.network_graph import (BATCH_AXIS, DEFAULT_OPSET, export_onnx, INPUT_NAME,
                                          MIN_OPSET, ONNX_PACKAGES, openvino_model,
                                          OPENVINO_PACKAGES, OUTPUT_NAME, require_packages)

FORMATS = ('onnx', 'openvino')
PACKAGES = {'onnx': ONNX_PACKAGES, 'openvino': OPENVINO_PACKAGES}
"""Python packages each format needs."""
JSON_NAME = 'model.json'


def check_export_request(export_format: str, opset: int) -> None:
    """Raise ValueError unless `export_format` and `opset` are accepted and its packages exist.

    Called before any model is loaded, so that bad arguments fail at once.
    """
    if export_format not in FORMATS:
        raise ValueError(f'unknown export format {export_format!r}; expected one of '
                         f'{", ".join(FORMATS)}')
    if opset < MIN_OPSET:
        raise ValueError(f'ONNX opset {opset} is too old; the ViT needs opset {MIN_OPSET} or '
                         'newer (LayerNormalization)')
    require_packages(PACKAGES[export_format], f'--format {export_format}')


def load_for_export(checkpoint: str) -> Tuple[Grounder, Optional[Path], List[str]]:
    """Load `checkpoint` (empty: the bundled demo model) on the CPU in fp32.

    Returns:
        The Grounder, the file its weights came from (None for random weights, when the demo
        model is missing) and the warnings to show the user.
    """
    grounder, warnings = load_default_grounder(checkpoint, 'cpu')
    return grounder, grounder.source, warnings


def export_model(grounder: Grounder, export_format: str, out: Path, source: Optional[Path],
                 opset: int = DEFAULT_OPSET) -> List[Path]:
    """Write `grounder`'s network in `export_format` and its `model.json` into the folder `out`.

    Existing files of the same names are replaced. `source` is the checkpoint file whose
    sha256 `model.json` records (None for random weights).

    Returns:
        The paths written, the model's files first.
    """
    check_export_request(export_format, opset)
    out.mkdir(parents=True, exist_ok=True)
    model = grounder.model.eval()
    if export_format == 'onnx':
        files = [out / 'model.onnx']
        versions = {'onnx_opset': export_onnx(model, files[0], opset)}
    else:
        files = [out / 'model.xml', out / 'model.bin']
        versions = export_openvino(model, files[0], opset)
    description = model_description(grounder, export_format, files, source, versions)
    json_path = out / JSON_NAME
    json_path.write_text(json.dumps(description, indent=2) + '\n')
    return [*files, json_path]


def export_openvino(model: GroundingNet, xml_path: Path, opset: int) -> Dict[str, Any]:
    """Write `model` as OpenVINO IR (`.xml` + `.bin`) with fp32 weights; return the versions.

    `save_model` compresses weights to fp16 unless told not to.
    """
    import openvino

    converted, versions = openvino_model(model, opset)
    openvino.save_model(converted, str(xml_path), compress_to_fp16=False)
    return {**versions,
            'inference_precision_hint': 'f32; set it when compiling, since CPUs with bf16 or '
                                        'fp16 arithmetic otherwise compute in those'}


def model_description(grounder: Grounder, export_format: str, files: Sequence[Path],
                      source: Optional[Path], versions: Dict[str, Any]) -> Dict[str, Any]:
    """Build `model.json`: how to feed the exported files and how to read what they give."""
    model = grounder.model
    config = model.backbone_config
    size = config.input_size
    grid = list(model.vit_model.patch_embed.grid_size)
    return {
        'format': export_format,
        'files': [path.name for path in files],
        'inputs': [{'name': INPUT_NAME, 'shape': [BATCH_AXIS, 3, size, size],
                    'dtype': 'float32', 'layout': 'NCHW', 'channel_order': 'RGB'}],
        'outputs': [{'name': OUTPUT_NAME, 'shape': [BATCH_AXIS, len(grounder.affordances), *grid],
                     'dtype': 'float32', 'layout': 'NCHW',
                     'meaning': 'raw logits on the patch grid; channel c is affordances[c]'}],
        'preprocessing': {
            'input_size': size, 'mean': list(config.mean), 'std': list(config.std),
            'steps': f'resize the RGB image to {size} x {size} (bilinear, antialiased, aspect '
                     'ratio not kept), divide by 255, subtract mean and divide by std per '
                     'channel'},
        'postprocessing': 'the Grounder resizes each map bilinearly to the image size '
                          '(half-pixel centres) and min-max normalises it to [0, 1]',
        'affordances': list(grounder.affordances),
        'source': source_description(grounder, source),
        'export': {'fp32': True, 'torch': torch.__version__, **versions},
    }


def source_description(grounder: Grounder, source: Optional[Path]) -> Dict[str, Any]:
    """Say where the weights came from: the checkpoint file and its sha256, or random weights."""
    metadata = grounder.metadata
    return {
        'checkpoint': str(source) if source else None,
        'sha256': sha256_file(source) if source else None,
        'backbone': grounder.model.backbone_config.name,
        'method': grounder.method,
        'description': metadata.description if metadata else 'random weights',
    }


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of the file at `path`, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()
