"""The test-time network as one exported graph: an ONNX file, and the OpenVINO model made from it.

`GroundingNet.forward` (a LoopTrans or LOCATE network) in fp32: a batch of normalised RGB images
(B, 3, S, S) in, the raw affordance maps (B, num_affordances, rows, cols) out. The `export`
command writes this graph to files and the OpenVINO backend runs it, so both run the same
network. onnx, onnxscript (torch's ONNX exporter) and openvino are optional packages, imported
only when a graph is built.
"""
import importlib
from pathlib import Path
import tempfile
from typing import Any, Dict, List, Sequence, Tuple

import torch

from looptrans_core.model.grounding_net import GroundingNet

INPUT_NAME = 'images'
OUTPUT_NAME = 'raw_maps'
BATCH_AXIS = 'batch'
MIN_OPSET = 17
"""LayerNormalization, which the ViT's norms export to, is an ONNX operator from opset 17."""
DEFAULT_OPSET = 17
"""The newest opset TensorRT 8.5 (JetPack 5) parses; newer TensorRT and runtimes read it too."""
EXAMPLE_BATCH = 2
"""torch.export specialises a dimension of size 0 or 1, so the example batch must be larger."""
ONNX_PACKAGES = ('onnx', 'onnxscript')
"""What torch's ONNX exporter needs."""
OPENVINO_PACKAGES = (*ONNX_PACKAGES, 'openvino')
"""What an OpenVINO model of the network needs."""


class MissingPackageError(ValueError):
    """An optional Python package that was asked for is not installed."""


def missing_packages(names: Sequence[str]) -> List[str]:
    """Return those of the Python packages `names` that do not import here."""
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def require_packages(names: Sequence[str], purpose: str) -> None:
    """Raise MissingPackageError, saying what to install, unless every package `names` imports.

    `purpose` says what needs them, e.g. "--format onnx".
    """
    missing = missing_packages(names)
    if missing:
        raise MissingPackageError(f'{purpose} needs the Python package(s) {", ".join(missing)}: '
                                  f'pip install {" ".join(missing)}')


def export_onnx(model: GroundingNet, path: Path, opset: int = DEFAULT_OPSET) -> int:
    """Export `model` (in eval mode) to one self-contained ONNX file; return its opset.

    torch's dynamo-based exporter (torch.export) traces timm's fused attention
    (`scaled_dot_product_attention`) into plain MatMul and Softmax nodes, so no op is missing
    and no change to the ViT is needed. It builds at its own opset and converts down to the one
    asked for; it keeps its own when that fails, so the file's opset is checked here.
    """
    size = model.backbone_config.input_size
    example = torch.zeros(EXAMPLE_BATCH, 3, size, size)
    torch.onnx.export(model, (example,), str(path), input_names=[INPUT_NAME],
                      output_names=[OUTPUT_NAME], opset_version=opset, dynamo=True,
                      dynamic_shapes={'images': {0: torch.export.Dim(BATCH_AXIS)}},
                      external_data=False, verbose=False)
    written = onnx_opset(path)
    if written != opset:
        raise ValueError(f'the ONNX exporter could not convert the model to opset {opset} and '
                         f'wrote opset {written}; pass --opset {written}')
    return written


def onnx_opset(path: Path) -> int:
    """Return the default-domain opset that the ONNX file at `path` imports."""
    import onnx

    opsets = onnx.load(str(path), load_external_data=False).opset_import
    return next(entry.version for entry in opsets if entry.domain in ('', 'ai.onnx'))


def openvino_model(model: GroundingNet, opset: int = DEFAULT_OPSET) -> Tuple[Any, Dict[str, Any]]:
    """Convert `model` to an in-memory `openvino.Model` (fp32) by way of an ONNX export.

    Returns:
        The OpenVINO model and the versions that made it (ONNX opset, OpenVINO).
    """
    import openvino

    with tempfile.TemporaryDirectory() as folder:
        onnx_path = Path(folder) / 'model.onnx'
        written = export_onnx(model, onnx_path, opset)
        converted = openvino.convert_model(str(onnx_path))
    return converted, {'onnx_opset': written, 'openvino': openvino.get_version()}
