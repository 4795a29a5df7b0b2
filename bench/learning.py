"""Learning check: a trained model against the untrained one and the centre-bias prior.

`python -m bench.learning --data-root R [--checkpoint C]` evaluates, on one AGD20K-format test
set, the centre-bias prior, the untrained model (the checkpoint's own frozen backbone under
seeded random heads) and the trained checkpoint (default: the bundled demo model), and prints
KLD, SIM and NSS for each. The README's learning table comes from this script on
`python -m looptrans_core synth` data.
"""
import argparse
from pathlib import Path
from typing import Dict, List, Optional

import torch

from bench.report import write_json
from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.data.agd20k import AGD20KTestSet
from looptrans_core.default_model import DEMO_MODEL
from looptrans_core.evaluation import CenterBiasPrior, evaluate
from looptrans_core.model.looptrans import LoopTrans

UNTRAINED_SEED = 42


def untrained_like(model: LoopTrans, seed: int = UNTRAINED_SEED) -> LoopTrans:
    """`model`'s architecture and backbone weights, with freshly seeded random heads."""
    torch.manual_seed(seed)
    untrained = LoopTrans(model.num_affordances, model.backbone_config.name)
    untrained.vit_model.load_state_dict(model.vit_model.state_dict())
    return untrained.eval()


def compare(checkpoint: Path, data_root: Path, divide: str,
            device: str) -> Dict[str, Dict[str, float]]:
    """KLD / SIM / NSS of the centre prior, the untrained and the trained model."""
    trained, metadata = load_checkpoint(checkpoint)
    test_set = AGD20KTestSet(data_root, divide)
    models = {'centre_prior': CenterBiasPrior(len(metadata.affordances)),
              'untrained': untrained_like(trained), 'trained': trained}
    table = {}
    for name, model in models.items():
        result = evaluate(model, test_set, device)
        table[name] = {'KLD': result.kld, 'SIM': result.sim, 'NSS': result.nss,
                       'num_images': result.num_images}
    return table


def main(argv: Optional[List[str]] = None) -> int:
    """Print the comparison table and optionally write it as JSON."""
    parser = argparse.ArgumentParser(prog='python -m bench.learning', description=__doc__)
    parser.add_argument('--data-root', type=Path, required=True)
    parser.add_argument('--divide', default='Seen')
    parser.add_argument('--checkpoint', type=Path, default=DEMO_MODEL)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', type=Path, default=None)
    args = parser.parse_args(argv)
    table = compare(args.checkpoint, args.data_root, args.divide, args.device)
    print(f'{"model":<14}{"KLD":>8}{"SIM":>8}{"NSS":>8}  images')
    for name, row in table.items():
        print(f'{name:<14}{row["KLD"]:8.3f}{row["SIM"]:8.3f}{row["NSS"]:8.3f}  '
              f'{row["num_images"]}')
    write_json(args.json, table)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
