"""Device, backend and precision choices shared by the Grounder, training and the CLI."""
from typing import Optional

import torch

PRECISIONS = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}
BACKEND_PRECISIONS = {'torch': ('bf16', 'fp16', 'fp32'), 'openvino': ('bf16', 'fp32', 'int8')}
"""What each inference backend runs in: torch as an autocast dtype of the backbone (CPU or CUDA),
OpenVINO as its CPU inference precision, or int8 by post-training quantisation (NNCF)."""
BACKENDS = tuple(BACKEND_PRECISIONS)
INFERENCE_PRECISIONS = tuple(sorted({p for ps in BACKEND_PRECISIONS.values() for p in ps}))
"""Every precision some backend takes."""


class DeviceUnavailableError(ValueError):
    """The requested device does not exist on this machine."""


def device_spec_error(spec: str) -> Optional[str]:
    """Why `spec` is not a device name we accept, or None; whether CUDA exists is not asked."""
    if spec in ('auto', 'cpu', 'cuda') or (spec.startswith('cuda:') and spec[5:].isdigit()):
        return None
    return f"unknown device {spec!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'"


def resolve_device(spec: str = 'auto') -> torch.device:
    """Turn 'auto', 'cpu', 'cuda' or 'cuda:N' into a device that exists here."""
    reason = device_spec_error(spec)
    if reason:
        raise ValueError(reason)
    if spec == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(spec)
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(f'device {spec!r} requested but CUDA is not available '
                                         "here; use 'cpu' or 'auto'")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailableError(f'device {spec!r} requested but only '
                                         f'{torch.cuda.device_count()} CUDA device(s) exist')
    return device


def backend_precisions_text() -> str:
    """Say which precisions each backend runs, e.g. for a help text."""
    return '; '.join(f'{backend}: {", ".join(precisions)}'
                     for backend, precisions in BACKEND_PRECISIONS.items())


def backend_error(backend: str, precision: str) -> Optional[str]:
    """Why `backend` cannot run in `precision` (naming what it takes), or None when it can."""
    if backend not in BACKEND_PRECISIONS:
        return f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}"
    accepted = BACKEND_PRECISIONS[backend]
    if precision in accepted:
        return None
    hint = "; precision 'int8' runs on backend 'openvino'" if precision == 'int8' else ''
    return (f'backend {backend!r} does not run precision {precision!r}; it takes '
            f"{', '.join(accepted)}{hint}")


def resolve_precision(name: str) -> torch.dtype:
    """Map 'fp32', 'fp16' or 'bf16' to a torch dtype."""
    if name not in PRECISIONS:
        raise ValueError(f'unknown precision {name!r}; expected one of {sorted(PRECISIONS)}')
    return PRECISIONS[name]


def autocast(device: torch.device, dtype: torch.dtype) -> torch.autocast:
    """Autocast context for `dtype`, disabled for fp32."""
    return torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype != torch.float32)
