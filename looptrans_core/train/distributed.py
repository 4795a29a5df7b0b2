"""torchrun support: process group, per-process device, and values summed over all processes."""
from dataclasses import dataclass
import os
from typing import List, Sequence

import torch
from torch import nn
import torch.distributed as dist

from looptrans_core.device import resolve_device


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """True under torchrun with more than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on the process that logs, evaluates and writes files."""
        return self.rank == 0


def process_device(spec: str, info: 'DistInfo') -> torch.device:
    """Return this process's device for the configured `spec`.

    Under torchrun 'auto' is cuda:LOCAL_RANK where CUDA exists and cpu elsewhere, 'cuda' or
    'cuda:N' is cuda:LOCAL_RANK (one GPU per process), 'cpu' is cpu. Alone, `resolve_device`.
    """
    if not info.enabled or spec == 'cpu' or (spec == 'auto' and not torch.cuda.is_available()):
        return resolve_device(spec)
    return resolve_device(f'cuda:{info.local_rank}')


def init_distributed(device: str = 'auto') -> DistInfo:
    """Join the torchrun process group when WORLD_SIZE > 1: NCCL on CUDA, Gloo on CPU.

    `device` is the configured device; the backend follows `process_device` of it.
    """
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if world_size <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ['RANK']), world_size, int(os.environ.get('LOCAL_RANK', '0')))
    chosen = process_device(device, info)
    if chosen.type == 'cuda':
        torch.cuda.set_device(chosen)
    dist.init_process_group('nccl' if chosen.type == 'cuda' else 'gloo')
    return info


def gather_values(values: Sequence[float], info: DistInfo,
                  device: torch.device) -> List[List[float]]:
    """Every process's `values`, in rank order (just ours when not distributed)."""
    local = torch.tensor(values, dtype=torch.float64, device=device)
    if not info.enabled:
        return [local.tolist()]
    gathered = [torch.empty_like(local) for _ in range(info.world_size)]
    dist.all_gather(gathered, local)
    return [tensor.tolist() for tensor in gathered]


def sum_values(values: Sequence[float], info: DistInfo, device: torch.device) -> List[float]:
    """`values` summed element-wise over all processes."""
    return [sum(column) for column in zip(*gather_values(values, info, device))]


def broadcast_buffers(module: nn.Module, info: DistInfo) -> None:
    """Give every process rank 0's buffers (BatchNorm statistics differ after local steps)."""
    if info.enabled:
        for buffer in module.buffers():
            dist.broadcast(buffer, 0)


def barrier(info: DistInfo) -> None:
    """Wait for every process (no-op when not distributed)."""
    if info.enabled:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    """Leave the process group."""
    if info.enabled:
        dist.destroy_process_group()
