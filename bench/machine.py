"""The facts of the machine a benchmark ran on: CPU, the flags that decide speed, versions."""
import os
import platform
from typing import Dict, List

import torch

from looptrans_core.network_graph import missing_packages
from looptrans_core.openvino_backend import cpu_capabilities, package_versions

FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'avx512_vnni', 'avx_vnni', 'amx_bf16', 'amx_int8',
         'amx_tile')
"""CPU flags the backends' kernels choose between: AVX2, AVX-512, native bf16, VNNI int8, AMX."""


def cpu_info() -> Dict[str, str]:
    """Model name and flags of the first CPU in /proc/cpuinfo (empty where there is none)."""
    try:
        with open('/proc/cpuinfo') as handle:
            lines = handle.read().split('\n\n')[0].splitlines()
    except OSError:
        return {}
    fields = (line.split(':', 1) for line in lines if ':' in line)
    return {key.strip(): value.strip() for key, value in fields}


def openvino_capabilities() -> List[str]:
    """Return OpenVINO's CPU OPTIMIZATION_CAPABILITIES, or [] without OpenVINO."""
    return [] if missing_packages(['openvino']) else cpu_capabilities()


def machine_facts() -> Dict[str, object]:
    """Everything a reader needs to compare this run with another machine's."""
    info = cpu_info()
    flags = set(info.get('flags', '').split())
    return {
        'cpu_model': info.get('model name', platform.processor() or '?'),
        'cpu_vendor': info.get('vendor_id', '?'),
        'cpu_family_model_stepping': '/'.join(info.get(key, '?') for key in
                                              ('cpu family', 'model', 'stepping')),
        'cpus': os.cpu_count(),
        'cpu_flags': {flag: flag in flags for flag in FLAGS},
        'openvino_cpu_capabilities': openvino_capabilities(),
        'torch_threads': torch.get_num_threads(),
        'cuda': torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        'python': platform.python_version(),
        'versions': package_versions(('torch', 'openvino', 'nncf', 'onnxruntime', 'timm')),
        'load_average_1min': os.getloadavg()[0],
    }
