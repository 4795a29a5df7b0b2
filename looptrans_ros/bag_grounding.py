"""Ground a rosbag2's camera topic offline and write heat maps, overlays and peaks to a new bag.

python -m looptrans_ros.bag_grounding --input IN --output OUT --topic T --action A [--action B]
Needs no ROS install: bags are read and written with rosbags (sqlite3 or mcap storage).
"""
import argparse
from dataclasses import dataclass, field
from pathlib import Path
import sys
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores
from tqdm import tqdm

from looptrans_core.cli_args import add_device_argument
from looptrans_core.default_model import load_default_grounder
from looptrans_core.grounder import AffordanceMap
from looptrans_core.peaks import PeakConfig
from looptrans_core.visualize import render_overlay
from looptrans_ros.conversion import compressed_to_bgr8, image_to_bgr8
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.interface_types import register_interfaces
from looptrans_ros.messages import MessageBuilder

IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
OUTPUTS = {'heatmap': 'sensor_msgs/msg/Image', 'overlay': 'sensor_msgs/msg/Image',
           'peaks': 'looptrans_interfaces/msg/AffordancePeaks'}
STORAGES = {'sqlite3': StoragePlugin.SQLITE3, 'mcap': StoragePlugin.MCAP}
BUILDER_TYPES = {'Image': 'sensor_msgs/msg/Image', 'Point': 'geometry_msgs/msg/Point',
                 'InteractionPoint': 'looptrans_interfaces/msg/InteractionPoint',
                 'AffordancePeaks': 'looptrans_interfaces/msg/AffordancePeaks'}


@dataclass
class BagReport:
    """What a run did: frames grounded, frames skipped and why."""

    processed: int = 0
    skipped: Dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        """Count a skipped frame under its reason."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def output_topic(action: str, kind: str, actions: List[str]) -> str:
    """Return /looptrans/<kind>, or /looptrans/<action>/<kind> when several actions are asked."""
    return f'/looptrans/{kind}' if len(actions) == 1 else f'/looptrans/{action}/{kind}'


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(prog='bag_grounding', description=__doc__.split('\n')[0])
    parser.add_argument('--input', required=True, type=Path, help='input rosbag2 folder')
    parser.add_argument('--output', required=True, type=Path, help='output rosbag2 (new)')
    parser.add_argument('--topic', required=True, help='Image or CompressedImage topic')
    parser.add_argument('--action', required=True, action='append',
                        help='affordance to ground; repeat for several (then topics are '
                             '/looptrans/<action>/heatmap, ...)')
    parser.add_argument('--checkpoint', default='', help='model; empty = bundled demo model')
    add_device_argument(parser)
    parser.add_argument('--storage', choices=sorted(STORAGES), default=None,
                        help="output storage (default: the input's)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool; return 0, or 2 with a message for bad arguments or bags."""
    args = build_parser().parse_args(argv)
    try:
        report = ground_bag(args)
    except (ValueError, OSError) as error:
        print(f'bag_grounding: {error}', file=sys.stderr)
        return 2
    skipped = sum(report.skipped.values())
    print(f'grounded {report.processed} frame(s) into {args.output}; skipped {skipped}')
    for reason, count in sorted(report.skipped.items()):
        print(f'  {count} x {reason}')
    return 0


def output_messages(builder: MessageBuilder, header: Any, image_bgr: np.ndarray,
                    results: Dict[str, AffordanceMap]) -> Iterator[Tuple[str, str, Any]]:
    """Yield (action, kind, message) of every output of one frame."""
    for action, result in results.items():
        overlay = render_overlay(image_bgr, result.heatmap, result.peaks, action)
        yield action, 'heatmap', builder.heatmap(header, result.heatmap)
        yield action, 'overlay', builder.image(header, overlay, 'bgr8')
        yield action, 'peaks', builder.peaks(header, action, result.peaks)


def ground_bag(args: argparse.Namespace) -> BagReport:
    """Copy the input topic and write the grounding outputs of every frame, with its stamps."""
    grounder, warnings = load_default_grounder(args.checkpoint, args.device, 'fp32', PeakConfig())
    for warning in warnings:
        print(f'bag_grounding: warning: {warning}', file=sys.stderr)
    actions = grounder.validate_actions(args.action)
    store = register_interfaces(get_typestore(Stores.ROS2_HUMBLE))
    builder = MessageBuilder({k: store.types[v] for k, v in BUILDER_TYPES.items()},
                             lambda data: np.frombuffer(data, np.uint8))
    storage = args.storage or ('mcap' if any(args.input.glob('*.mcap')) else 'sqlite3')
    report = BagReport()
    with Reader(args.input) as reader:
        source = [c for c in reader.connections if c.topic == args.topic]
        if not source or source[0].msgtype not in IMAGE_TYPES:
            images = sorted(c.topic for c in reader.connections if c.msgtype in IMAGE_TYPES)
            raise ValueError(f'no Image or CompressedImage topic {args.topic!r} in '
                             f'{args.input}; image topics there: {images}')
        with Writer(args.output, version=9, storage_plugin=STORAGES[storage]) as writer:
            copy = writer.add_connection(args.topic, source[0].msgtype,
                                         msgdef=source[0].msgdef.data, rihs01=source[0].digest)
            outputs = {(a, kind): writer.add_connection(output_topic(a, kind, actions), msgtype,
                                                        typestore=store)
                       for a in actions for kind, msgtype in OUTPUTS.items()}
            messages = reader.messages(connections=source)
            for connection, timestamp, raw in tqdm(messages, total=source[0].msgcount,
                                                   unit='frame'):
                writer.write(copy, timestamp, raw)
                message = store.deserialize_cdr(raw, connection.msgtype)
                try:
                    image = (compressed_to_bgr8(message) if connection.msgtype == IMAGE_TYPES[1]
                             else image_to_bgr8(message))
                except ImageFormatError as error:
                    report.skip(str(error))
                    continue
                results = grounder.ground(image, actions, channel_order='bgr')
                for action, kind, out in output_messages(builder, message.header, image,
                                                         results):
                    writer.write(outputs[action, kind], timestamp,
                                 store.serialize_cdr(out, OUTPUTS[kind]))
                report.processed += 1
    return report


if __name__ == '__main__':
    sys.exit(main())
