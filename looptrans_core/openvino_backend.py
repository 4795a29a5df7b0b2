"""The OpenVINO backend: the whole network, converted once, cached on disk, run on the CPU.

The network is `network_graph`'s export of `GroundingNet.forward` (LoopTrans or LOCATE:
backbone to the last block's keys, heads, classifier), so OpenVINO computes exactly what the
torch backend computes. int8 is NNCF post-training quantisation on a calibration set
(`calibration`). The converted (and, for int8, quantised) model is cached under `cache_root()`,
keyed by the weights' content hash, the network code, the precision, the calibration set and
the torch and OpenVINO versions, so a second start only reads and compiles it.
"""
import hashlib
from importlib import metadata
import json
import logging
import os
from pathlib import Path
import shutil
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from looptrans_core.calibration import calibration_set, CalibrationSet
from looptrans_core.device import backend_error
from looptrans_core.model.grounding_net import GroundingNet
from looptrans_core.network_graph import openvino_model, OPENVINO_PACKAGES, require_packages
from looptrans_core.preprocess import normalise_batch, to_device_uint8

LOGGER = logging.getLogger(__name__)
PRECISION_HINTS = {'fp32': 'f32', 'bf16': 'bf16', 'int8': 'f32'}
"""OpenVINO's INFERENCE_PRECISION_HINT for each precision, always set: OpenVINO's own default on
a CPU with native bf16 is bf16, which would silently change fp32 results. int8 runs the layers
NNCF leaves unquantised in f32."""
CACHE_ENV = 'LOOPTRANS_CACHE_DIR'
HERE = Path(__file__).resolve().parent
MODEL_CODE = (HERE / 'model', HERE / 'network_graph.py', HERE / 'openvino_backend.py',
              HERE / 'calibration.py', HERE / 'preprocess.py')
"""The source that decides the converted model (the graph, its conversion and quantisation, the
calibration inputs): a change to it invalidates cached models."""
VERSIONED = ('torch', 'timm', 'onnx', 'onnxscript', 'openvino', 'nncf')
"""The packages whose versions a cached model depends on."""


class BackendUnavailableError(ValueError):
    """The OpenVINO backend cannot run here in the precision asked for."""


def cache_root() -> Path:
    """Return where converted models are kept.

    `$LOOPTRANS_CACHE_DIR/openvino`, else `$XDG_CACHE_HOME/looptrans/openvino`, else
    `~/.cache/looptrans/openvino`.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / 'openvino'
    base = os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'
    return Path(base) / 'looptrans' / 'openvino'


def check_openvino(precision: str) -> None:
    """Raise ValueError unless OpenVINO can run `precision` here.

    Raises:
        ValueError: a precision OpenVINO does not run (the message lists those it does).
        MissingPackageError: openvino (or nncf for int8, or the ONNX exporter) is missing.
        BackendUnavailableError: bf16 on a CPU without native bf16.
    """
    reason = backend_error('openvino', precision)
    if reason:
        raise ValueError(reason)
    require_packages((*OPENVINO_PACKAGES, *(['nncf'] if precision == 'int8' else [])),
                     f"backend 'openvino' with precision {precision!r} (the `openvino` extra)")
    if precision == 'bf16' and 'BF16' not in cpu_capabilities():
        raise BackendUnavailableError(
            "precision 'bf16' on OpenVINO needs a CPU with native bf16 (AVX512_BF16 or AMX); "
            f"this one offers {', '.join(cpu_capabilities())}: use 'fp32' or 'int8'")


def cpu_capabilities() -> List[str]:
    """Return OpenVINO's OPTIMIZATION_CAPABILITIES of the CPU (e.g. FP32, BF16, INT8)."""
    import openvino

    return list(openvino.Core().get_property('CPU', 'OPTIMIZATION_CAPABILITIES'))


def weights_hash(model: torch.nn.Module) -> str:
    """Return the sha256 of every tensor of `model`'s state dict (names, dtypes, shapes, bytes)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f'{name} {tensor.dtype} {tuple(tensor.shape)}'.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def code_hash() -> str:
    """Return the sha256 of the source files of `MODEL_CODE`."""
    digest = hashlib.sha256()
    for path in sorted(p for root in MODEL_CODE
                       for p in ([root] if root.is_file() else root.rglob('*.py'))):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(model: GroundingNet, precision: str,
              calibration: Optional[CalibrationSet]) -> Dict[str, Any]:
    """Everything the cached model depends on."""
    return {'weights_sha256': weights_hash(model), 'code_sha256': code_hash(),
            'precision': precision,
            'calibration': calibration.identity if precision == 'int8' else None,
            **package_versions()}


def package_versions(names: Sequence[str] = VERSIONED) -> Dict[str, Optional[str]]:
    """Return the installed version of each package of `names` (None where it is missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def key_folder(key: Dict[str, Any]) -> str:
    """Return the cache folder name of `key`: readable parts, then a hash of the whole key."""
    whole = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return f'{key["weights_sha256"][:16]}-{key["precision"]}-{whole}'


def calibration_batches(model: GroundingNet, calibration: CalibrationSet) -> List[np.ndarray]:
    """Return each calibration image as the network's (1, 3, S, S) float32 input."""
    config = model.backbone_config
    cpu = torch.device('cpu')
    return [normalise_batch([to_device_uint8(image, 'rgb', cpu)], config.input_size,
                            config.mean, config.std).numpy()
            for image in calibration.load()]


def build_network(model: GroundingNet, precision: str,
                  calibration: Optional[CalibrationSet]) -> Any:
    """Convert `model` to an `openvino.Model`; for int8, quantise it on `calibration`."""
    converted, _ = openvino_model(model)
    if precision != 'int8':
        return converted
    import nncf

    batches = calibration_batches(model, calibration)
    return nncf.quantize(converted, nncf.Dataset(batches), model_type=nncf.ModelType.TRANSFORMER,
                         subset_size=len(batches))


def cached_network(model: GroundingNet, precision: str, calibration: Optional[CalibrationSet],
                   root: Path) -> Path:
    """Return the cached model's `.xml` under `root`, converting and saving it first if needed.

    Raises:
        BackendUnavailableError: the conversion or the cache failed (the message says which
            folder and what to do).
    """
    key = cache_key(model, precision, calibration)
    folder = root / key_folder(key)
    if not (folder / 'model.xml').is_file():
        try:
            write_network(model, precision, calibration, key, folder)
        except (OSError, RuntimeError) as error:
            raise BackendUnavailableError(
                f'cannot convert the network to OpenVINO {precision} into the cache {root} '
                f'({error}); make the folder writable with space to spare, or set {CACHE_ENV} '
                'to another folder') from None
    return folder / 'model.xml'


def write_network(model: GroundingNet, precision: str, calibration: Optional[CalibrationSet],
                  key: Dict[str, Any], folder: Path) -> None:
    """Convert the network and save it, with `key.json`, as `folder`.

    It is written into a temporary sibling folder and renamed into place, so a reader never
    sees a half-written model, and two processes building the same key do not clash: the first
    rename wins. A folder without `model.xml` (damaged, or emptied by hand) is replaced.
    """
    import openvino

    folder.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    building = Path(tempfile.mkdtemp(prefix='.building-', dir=folder.parent))
    try:
        network = build_network(model, precision, calibration)
        openvino.save_model(network, str(building / 'model.xml'), compress_to_fp16=False)
        (building / 'key.json').write_text(json.dumps(key, indent=2) + '\n')
        if folder.is_dir() and not (folder / 'model.xml').is_file():
            shutil.rmtree(folder)
        try:
            os.rename(building, folder)
        except OSError:
            if (folder / 'model.xml').is_file():
                return
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    LOGGER.info('converted the network to OpenVINO %s in %.1f s: %s', precision,
                time.perf_counter() - started, folder)


class OpenVINONetwork:
    """The network on OpenVINO's CPU plugin: a normalised (B, 3, S, S) batch in, raw maps out.

    Args:
        model: the network whose weights are run (left unchanged).
        precision: 'fp32', 'bf16' (CPUs with native bf16) or 'int8'.
        calibration: the images int8 is calibrated on (None: the synthetic scenes; unused by
            the other precisions).
        threads: OpenVINO inference threads (None: OpenVINO's default, every core).
        cache_dir: where converted models are kept (None: `cache_root()`).
    """

    def __init__(self, model: GroundingNet, precision: str,
                 calibration: Optional[CalibrationSet] = None, threads: Optional[int] = None,
                 cache_dir: Optional[Union[str, Path]] = None) -> None:
        check_openvino(precision)
        import openvino

        if precision == 'int8':
            calibration = calibration or calibration_set()
        self.path = cached_network(model, precision, calibration,
                                   Path(cache_dir or cache_root()))
        config = {'INFERENCE_PRECISION_HINT': PRECISION_HINTS[precision],
                  'PERFORMANCE_HINT': 'LATENCY'}
        if threads is not None:
            config['INFERENCE_NUM_THREADS'] = threads
        core = openvino.Core()
        try:
            network = core.read_model(str(self.path))
        except RuntimeError as error:
            raise BackendUnavailableError(
                f'cannot read the cached OpenVINO model {self.path} ({error}); delete the '
                f'folder {self.path.parent} and it is rebuilt on the next start') from None
        try:
            self.compiled = core.compile_model(network, 'CPU', config)
        except RuntimeError as error:
            raise BackendUnavailableError(f'OpenVINO cannot compile {self.path} for the CPU '
                                          f'({error})') from None
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """Raw maps (B, num_affordances, rows, cols) of a normalised CPU batch, as a tensor."""
        with self._lock:
            outputs = self._request.infer({0: batch.detach().float().numpy()})
            return torch.from_numpy(np.array(outputs[0]))
