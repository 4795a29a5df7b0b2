"""torchrun support: process-group setup when WORLD_SIZE > 1, nothing otherwise."""
from dataclasses import dataclass
import os

import torch
import torch.distributed as dist


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


def init_distributed() -> DistInfo:
    """Join the torchrun process group (NCCL on CUDA, else Gloo) when WORLD_SIZE > 1."""
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if world_size <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ['RANK']), world_size, int(os.environ.get('LOCAL_RANK', '0')))
    if torch.cuda.is_available():
        torch.cuda.set_device(info.local_rank)
    dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
    return info


def barrier(info: DistInfo) -> None:
    """Wait for every process (no-op when not distributed)."""
    if info.enabled:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    """Leave the process group."""
    if info.enabled:
        dist.destroy_process_group()
