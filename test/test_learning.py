"""Learning is real: a short CPU run beats the untrained model and the centre-bias prior.

The run is the demo recipe (`make demo-model`: config/train_synth_demo.yaml over the shipped
`vit_tiny_synth` backbone, pretrained by `pretrain-backbone` on object labels only, and a 2-epoch
part-cluster module) cut to its first epoch, on the medium synthetic set (seed 0) it trains on.
Measured on its 92 test images: centre prior KLD 1.785 / SIM 0.253 / NSS 0.825, untrained
2.360 / 0.155 / -0.353, this run 1.258 / 0.408 / 1.292; the asserted margins are about half of
the measured ones over the prior. The bundled model itself is checked on a fresh seed.
"""
from pathlib import Path

import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.data.synth import generate
from looptrans_core.default_model import DEMO_MODEL
from looptrans_core.evaluation import CenterBiasPrior, evaluate, EvaluationResult
from looptrans_core.model.looptrans import LoopTrans
from looptrans_core.train.cluster_train import CLUSTER_FILE, ClusterTrainConfig, train_cluster
from looptrans_core.train.config import load_config
from looptrans_core.train.loop import BEST_FILE, do_train

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / 'config' / 'train_synth_demo.yaml'
FRESH_SEED = 6
"""A synthetic seed that neither `make demo-model` (0) nor the README's table (1-5) uses."""


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    """Centre prior, untrained and trained results on the medium synthetic Seen test set."""
    root = tmp_path_factory.mktemp('medium')
    generate(root, 'Seen', 'medium', seed=0)
    config = load_config(RECIPE, [f'data.root={root}', 'evaluate_every_epoch=false', 'epochs=1'])
    weights = str(ROOT / config.model.backbone_weights)
    out = tmp_path_factory.mktemp('learning')
    train_cluster(ClusterTrainConfig(str(root), backbone=config.model.backbone,
                                     backbone_weights=weights, num_layers=2, epochs=2,
                                     batch_size=8, lr=1e-3, device='cpu', num_workers=0), out)
    config.model.backbone_weights = weights
    config.model.cluster = str(out / CLUSTER_FILE)
    do_train(config, out / 'run')
    test_set = AGD20KTestSet(root, 'Seen')
    torch.manual_seed(config.seed)
    untrained = LoopTrans(len(SEEN_AFFORDANCES), config.model.backbone, weights)
    return {
        'centre': evaluate(CenterBiasPrior(len(SEEN_AFFORDANCES)), test_set),
        'untrained': evaluate(untrained, test_set),
        'trained': evaluate(load_checkpoint(out / 'run' / BEST_FILE)[0], test_set),
    }


@pytest.mark.parametrize('baseline', ['centre', 'untrained'])
def test_training_beats_the_baseline_on_every_metric(results, baseline):
    trained, other = results['trained'], results[baseline]
    measured = f'trained {_summary(trained)}, {baseline} {_summary(other)}'
    assert trained.kld < other.kld - 0.25, measured
    assert trained.sim > other.sim + 0.07, measured
    assert trained.nss > other.nss + 0.2, measured


def _summary(result: EvaluationResult) -> str:
    return f'KLD {result.kld:.3f} SIM {result.sim:.3f} NSS {result.nss:.3f}'


def test_bundled_model_beats_the_prior_on_a_fresh_seed(tmp_path):
    """No retraining: the bundled demo model against the centre prior on unseen scenes.

    The issue's targets (KLD 0.25 lower, SIM 0.04 and NSS 0.4 higher) hold for the worst of
    five seeds in `python -m bench.learning`; on one small set of 46 images the prior alone moves
    by up to 0.11 KLD and 0.26 NSS between seeds 1-5, so a fifth is taken off each target.
    Measured on seed 6: bundled KLD 0.988 / SIM 0.488 / NSS 1.433, prior 1.827 / 0.246 / 0.738.
    """
    generate(tmp_path, 'Seen', 'small', seed=FRESH_SEED)
    test_set = AGD20KTestSet(tmp_path, 'Seen')
    model, metadata = load_checkpoint(DEMO_MODEL)
    trained = evaluate(model, test_set)
    prior = evaluate(CenterBiasPrior(len(metadata.affordances)), test_set)
    measured = f'bundled {_summary(trained)}, centre prior {_summary(prior)}'
    assert trained.kld < prior.kld - 0.2, measured
    assert trained.sim > prior.sim + 0.032, measured
    assert trained.nss > prior.nss + 0.32, measured
