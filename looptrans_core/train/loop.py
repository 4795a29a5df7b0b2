"""The training loop: build, (resume,) train an epoch, evaluate, select, save; repeat."""
from dataclasses import dataclass
import math
from pathlib import Path
from typing import Dict, List, Optional

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from looptrans_core.affordances import affordances_for_divide
from looptrans_core.checkpoints import CheckpointMetadata, save_checkpoint
from looptrans_core.device import autocast, resolve_precision
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.train import report
from looptrans_core.train.cluster_io import load_cluster_file
from looptrans_core.train.config import save_config, to_dict, TrainConfig
from looptrans_core.train.data import epoch_loader, evaluate_epoch, TrainingData
from looptrans_core.train.distributed import (barrier, broadcast_buffers, DistInfo,
                                              gather_values, process_device, sum_values)
from looptrans_core.train.optim import build_optimizer
from looptrans_core.train.state import (load_resume, RESUME_FILE, rng_state, save_resume,
                                        seed_everything, set_rng_state)
from looptrans_core.train.step import TrainingStep
from looptrans_core.train.validation import validation_loss

BEST_FILE = 'best.safetensors'
LAST_FILE = 'last.safetensors'
CONFIG_FILE = 'config.yaml'


@dataclass
class RunState:
    """What carries from epoch to epoch (and through a resume)."""

    epoch: int = 0
    best_score: float = math.inf
    best_epoch: int = 0
    history: Optional[List[Dict[str, float]]] = None


def build_model(config: TrainConfig) -> LoopTrans:
    """Build LoopTrans for the configured split and backbone, with its frozen cluster module."""
    affordances = affordances_for_divide(config.data.divide)
    model = LoopTrans(len(affordances), config.model.backbone, config.model.backbone_weights)
    model.cluster = load_cluster_file(config.model.cluster, model.vit_model.embed_dim)
    return model


def do_train(config: TrainConfig, run_dir: Path, resume: bool = False,
             dist: DistInfo = DistInfo()) -> RunState:
    """Train as `config` says, writing everything into `run_dir`; returns the final state."""
    # 1. Device, seeds, folder, log.
    device = process_device(config.device, dist)
    dtype = resolve_precision(config.precision)
    seed_everything(config.seed + dist.rank, config.deterministic)
    run_dir.mkdir(parents=True, exist_ok=True)
    logger = report.make_logger(run_dir) if dist.is_main else None
    # 2. Model, optimiser, data.
    model = build_model(config).to(device)
    step = TrainingStep(model, config.loss)
    wrapped = DistributedDataParallel(step) if dist.enabled else step
    optimizer, scheduler = build_optimizer(model, config.optim)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    data = TrainingData.build(config)
    state = RunState(history=[])
    # 3. Resume: weights, optimiser, schedule, epoch, RNG.
    if resume:
        state = _restore(run_dir, model, optimizer, scheduler)
    elif dist.is_main:
        save_config(config, run_dir / CONFIG_FILE)
    _log_start(logger, config, data, model, device, dist, state)
    # 4. Epochs: train, evaluate, select, save.
    while state.epoch < config.epochs:
        model.train()
        totals = _train_epoch(wrapped, optimizer, scaler, data, config, state.epoch, dist,
                              device, dtype, logger)
        scheduler.step()
        state.epoch += 1
        train_loss = _mean_over_ranks(totals, dist, device, logger)
        record = {'epoch': state.epoch, 'train_loss': train_loss}
        broadcast_buffers(model, dist)
        if data.val is not None:
            record['val_loss'] = validation_loss(step, data.val, config, device, dtype, dist)
        if dist.is_main:
            if config.evaluate_every_epoch:
                record.update(evaluate_epoch(model, data, config, device))
            _select_and_save(model, config, run_dir, state, record, logger)
            save_resume(run_dir / RESUME_FILE, _resume_dict(model, optimizer, scheduler, state))
        barrier(dist)
    if logger is not None:
        report.close_logger(logger)
    return state


def _log_start(logger, config: TrainConfig, data: TrainingData, model: LoopTrans,
               device: torch.device, dist: DistInfo, state: RunState) -> None:
    held_out = len(data.val) if data.val is not None else 0
    forward = model.cluster.forward_mode
    _log(logger, f'recipe {config.recipe}: training {len(data.train)} samples ({held_out} held '
         f'out) on {device} x {dist.world_size} process(es), {config.precision}, pseudo masks '
         f'{config.loss.pseudo_mask}, cluster forward {forward}, best by {config.select_on}, '
         f'epochs {state.epoch + 1}..{config.epochs}')
    if config.recipe == 'published' and forward != 'published':
        _log(logger, f'warning: recipe published with a {forward}-forward cluster file; the '
             "published run uses the authors' cluster_seen.pth / cluster_unseen.pth")


def _train_epoch(wrapped, optimizer, scaler, data: 'TrainingData', config: TrainConfig,
                 epoch: int, dist: DistInfo, device: torch.device, dtype: torch.dtype,
                 logger) -> List[float]:
    """One pass over this process's share of the samples; returns [sum of losses, steps]."""
    loader = epoch_loader(data.train, config, epoch, dist)
    total, steps = 0.0, 0
    bar = tqdm(loader, desc=f'epoch {epoch + 1}/{config.epochs}', unit='batch',
               disable=not dist.is_main)
    for batch in bar:
        with autocast(device, dtype):
            losses = wrapped(batch['exo'].to(device), batch['ego'].to(device),
                             batch['label'].to(device))
        loss = sum(losses.values())
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total, steps = total + loss.item(), steps + 1
        bar.set_postfix(loss=f'{loss.item():.3f}')
        if steps % config.log_every == 0:
            _log_step(logger, {'loss': loss, **losses}, dist, device,
                      f'epoch {epoch + 1} step {steps}/{len(loader)}',
                      optimizer.param_groups[0]['lr'])
    return [total, steps]


def _log_step(logger, losses: Dict[str, torch.Tensor], dist: DistInfo, device: torch.device,
              where: str, lr: float) -> None:
    """Log this step's losses averaged over the processes (every process must call it)."""
    sums = sum_values([value.item() for value in losses.values()], dist, device)
    means = {name: value / dist.world_size for name, value in zip(losses, sums)}
    parts = ' '.join(f'{k} {v:.3f}' for k, v in means.items() if k != 'loss')
    _log(logger, f'{where} loss {means["loss"]:.3f} ({parts}) lr {lr:.2e}')


def _mean_over_ranks(totals: List[float], dist: DistInfo, device: torch.device,
                     logger) -> float:
    """Mean training loss over every step of every process; logs each process's mean."""
    per_rank = gather_values(totals, dist, device)
    mean = sum(total for total, _ in per_rank) / max(sum(steps for _, steps in per_rank), 1)
    if dist.enabled:
        ranks = ' '.join(f'{total / max(steps, 1):.6f}' for total, steps in per_rank)
        _log(logger, f'train loss {mean:.6f} = mean over {dist.world_size} processes '
             f'(per process: {ranks})')
    return mean


def _select_and_save(model: LoopTrans, config: TrainConfig, run_dir: Path, state: RunState,
                     record: Dict[str, float], logger) -> None:
    """Log the epoch, keep the best checkpoint by the configured criterion, save the last."""
    score = record['val_loss'] if config.select_on == 'validation' else record['KLD']
    if score < state.best_score:
        state.best_score, state.best_epoch = score, state.epoch
        save_checkpoint(model, run_dir / BEST_FILE, _metadata(config, state.epoch))
    save_checkpoint(model, run_dir / LAST_FILE, _metadata(config, state.epoch))
    record['best_epoch'] = state.best_epoch
    state.history.append(record)
    report.write_history(run_dir, state.history)
    _log(logger, ' '.join(f'{k} {v:.4g}' for k, v in record.items()))


def _metadata(config: TrainConfig, epoch: int) -> CheckpointMetadata:
    return CheckpointMetadata(
        backbone=config.model.backbone, affordances=affordances_for_divide(config.data.divide),
        divide=config.data.divide, training_config=to_dict(config),
        description=config.description or
        f'LoopTrans trained by looptrans_core on {config.data.root}, epoch {epoch}')


def _resume_dict(model: LoopTrans, optimizer, scheduler, state: RunState) -> Dict:
    return {'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
            'scheduler': scheduler.state_dict(), 'epoch': state.epoch,
            'best_score': state.best_score, 'best_epoch': state.best_epoch,
            'history': state.history, 'rng': rng_state()}


def _restore(run_dir: Path, model: LoopTrans, optimizer, scheduler) -> RunState:
    saved = load_resume(run_dir)
    model.load_state_dict(saved['model'])
    optimizer.load_state_dict(saved['optimizer'])
    scheduler.load_state_dict(saved['scheduler'])
    set_rng_state(saved['rng'])
    return RunState(saved['epoch'], saved['best_score'], saved['best_epoch'], saved['history'])


def _log(logger, message: str) -> None:
    if logger is not None:
        logger.info(message)
