"""The datasets of a run: training samples, the held-out part, the test set; loaders per epoch."""
from dataclasses import dataclass
from typing import Dict, Optional

import torch
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from looptrans_core.data.agd20k import AGD20KTestSet, AGD20KTrainSet
from looptrans_core.evaluation import evaluate
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.train.config import TrainConfig
from looptrans_core.train.distributed import DistInfo


@dataclass
class TrainingData:
    """Training samples, the seeded held-out samples (maybe empty) and the test set (or None)."""

    train: AGD20KTrainSet
    val: Optional[AGD20KTrainSet]
    test: Optional[AGD20KTestSet]

    @classmethod
    def build(cls, config: TrainConfig) -> 'TrainingData':
        """Index the configured AGD20K split and hold out `data.val_fraction` of its samples.

        Both sets read their images with `data.image_backend`.
        """
        data = config.data
        if not data.root:
            raise ValueError('no data root: pass --data-root or set data.root in the config')
        full = AGD20KTrainSet(data.root, data.divide, seed=config.seed,
                              image_backend=data.image_backend)
        train, val = full, None
        if data.val_fraction > 0:
            train, val = full.split(data.val_fraction, seed=config.seed)
        test = (AGD20KTestSet(data.root, data.divide, image_backend=data.image_backend)
                if config.evaluate_every_epoch else None)
        return cls(train, val, test)


def epoch_loader(dataset: AGD20KTrainSet, config: TrainConfig, epoch: int,
                 dist: DistInfo = DistInfo()) -> DataLoader:
    """Return a shuffling loader whose order and samples depend only on (seed, epoch, rank)."""
    dataset.set_epoch(epoch)
    generator = torch.Generator().manual_seed(config.seed * 1000 + epoch)
    if dist.enabled:
        sampler = DistributedSampler(dataset, dist.world_size, dist.rank, True, config.seed)
        sampler.set_epoch(epoch)
    else:
        sampler = RandomSampler(dataset, generator=generator)
    return DataLoader(dataset, config.batch_size, sampler=sampler,
                      num_workers=config.data.num_workers, generator=generator,
                      pin_memory=torch.cuda.is_available(), drop_last=False)


def evaluate_epoch(model: LoopTrans, data: TrainingData, config: TrainConfig,
                   device: torch.device) -> Dict[str, float]:
    """KLD, SIM and NSS of the model on the test set."""
    result = evaluate(model, data.test, device, config.eval_batch_size, config.precision)
    return {'KLD': result.kld, 'SIM': result.sim, 'NSS': result.nss}
