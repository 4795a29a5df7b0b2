"""`evaluate`: KLD, SIM and NSS of a checkpoint or the centre-bias prior on an AGD20K test set."""
import argparse
import json
from pathlib import Path

from looptrans_core.affordances import affordances_for_divide, DIVIDES
from looptrans_core.checkpoints import load_checkpoint
from looptrans_core.cli_args import add_device_argument
from looptrans_core.data.agd20k import AGD20KTestSet, IMAGE_BACKENDS
from looptrans_core.device import PRECISIONS
from looptrans_core.evaluation import CenterBiasPrior, evaluate

COMMAND = 'evaluate'
HELP = 'evaluate a checkpoint on an AGD20K(-format) test set: KLD, SIM, NSS'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `evaluate`."""
    parser.add_argument('--data-root', required=True, type=Path,
                        help='folder holding Seen/ and/or Unseen/')
    parser.add_argument('--divide', required=True, choices=sorted(DIVIDES))
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument('--checkpoint', type=Path,
                       help='published .pth or our .safetensors checkpoint')
    model.add_argument('--center-bias', action='store_true',
                       help='evaluate the centre-bias prior (a centred Gaussian) instead')
    parser.add_argument('--json', type=Path, help='write KLD, SIM, NSS, num_images, per_image')
    add_device_argument(parser)
    parser.add_argument('--precision', default='fp32', choices=sorted(PRECISIONS))
    parser.add_argument('--image-backend', default='opencv', choices=IMAGE_BACKENDS,
                        help="'pil' reads and resizes test images with PIL as LoopTrans's and "
                             "LOCATE's test.py do (EXIF orientation ignored); 'opencv' (default) "
                             'applies EXIF orientation and resizes with torchvision')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-workers', type=int, default=0, help='image-loading processes')
    parser.add_argument('--save-maps', type=Path, metavar='DIR',
                        help='write each 224x224 prediction as DIR/<affordance>/<object>/'
                        '<stem>.png')


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the means; write JSON when asked."""
    affordances = affordances_for_divide(args.divide)
    test_set = AGD20KTestSet(args.data_root, args.divide, args.image_backend)
    if args.center_bias:
        model = CenterBiasPrior(len(affordances))
    else:
        model, metadata = load_checkpoint(args.checkpoint)
        if tuple(metadata.affordances) != affordances:
            raise ValueError(f'{args.checkpoint} grounds {len(metadata.affordances)} affordances '
                             f'({metadata.divide}); the {args.divide} divide needs its '
                             f'{len(affordances)} in published order')
        print(f'model: {model.method} ({metadata.divide}) from {args.checkpoint}')
    result = evaluate(model, test_set, args.device, args.batch_size, args.precision,
                      args.num_workers, args.save_maps, progress=True)
    print(f'KLD {result.kld:.4f}  SIM {result.sim:.4f}  NSS {result.nss:.4f}  '
          f'images {result.num_images} (skipped without GT: {result.skipped})')
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_json(), indent=2))
    return 0
