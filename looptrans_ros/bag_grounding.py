"""Ground a rosbag2's camera topic offline and write heat maps, overlays and peaks to a new bag.

python -m looptrans_ros.bag_grounding --input IN --output OUT --topic T --action A [--action B]
    [--depth-topic D --camera-info-topic C]
Needs no ROS install: bags are read and written with rosbags (sqlite3 or mcap storage). With
depth, frames also get the node's 3D outputs (peak positions and approaches, cloud, poses) in
the image's own frame (a bag tool has no tf2).
"""
import argparse
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
import sys
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
from rosbags.rosbag2 import Reader, ReaderError, StoragePlugin, Writer, WriterError
from rosbags.serde import SerdeError
from rosbags.typesys import get_typestore, Stores
from tqdm import tqdm

from looptrans_core import (add_backend_arguments, add_device_argument, load_default_grounder,
                            MAX_IMAGE_PIXELS, PeakConfig)
from looptrans_ros.bag_pairing import StampPairing
from looptrans_ros.bag_paths import atomic_output, bag_folder, check_output
from looptrans_ros.bag_salvage import salvage
from looptrans_ros.grounding_pipeline import Grounding, GroundingPipeline
from looptrans_ros.interface_types import register_interfaces
from looptrans_ros.messages import MessageBuilder
from looptrans_ros.outputs import grounding_messages, output_name
from looptrans_ros.settings import Settings

IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
OUTPUTS = {'heatmap': 'sensor_msgs/msg/Image', 'overlay': 'sensor_msgs/msg/Image',
           'peaks': 'looptrans_interfaces/msg/AffordancePeaks'}
DEPTH_OUTPUTS = {'cloud': 'sensor_msgs/msg/PointCloud2', 'poses': 'geometry_msgs/msg/PoseArray',
                 'peak_point': 'geometry_msgs/msg/PointStamped'}
"""Written with --depth-topic (markers are left to RViz on a live node)."""
STORAGES = {'sqlite3': StoragePlugin.SQLITE3, 'mcap': StoragePlugin.MCAP}
BUILDER_TYPES = {'Image': 'sensor_msgs/msg/Image', 'Point': 'geometry_msgs/msg/Point',
                 'InteractionPoint': 'looptrans_interfaces/msg/InteractionPoint',
                 'AffordancePeaks': 'looptrans_interfaces/msg/AffordancePeaks',
                 **{name: f'geometry_msgs/msg/{name}' for name in (
                     'Vector3', 'Pose', 'PoseArray', 'PointStamped', 'Quaternion')},
                 'Header': 'std_msgs/msg/Header', 'PointCloud2': 'sensor_msgs/msg/PointCloud2',
                 'PointField': 'sensor_msgs/msg/PointField'}


@dataclass
class BagReport:
    """What a run did: frames grounded, frames skipped and why."""

    processed: int = 0
    skipped: Dict[str, int] = field(default_factory=dict)
    salvaged: str = ''

    def skip(self, reason: str) -> None:
        """Count a skipped frame under its reason (the pipeline's warning)."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(prog='bag_grounding', description=__doc__.split('\n')[0])
    parser.add_argument('--input', required=True, type=Path,
                        help='input rosbag2 folder (or its .mcap / .db3 file); never modified')
    parser.add_argument('--output', required=True, type=Path,
                        help='output rosbag2 folder, written whole or not at all')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing output')
    parser.add_argument('--topic', required=True, help='Image or CompressedImage topic')
    parser.add_argument('--action', required=True, action='append',
                        help='affordance to ground; repeat for several (then topics are '
                             '/looptrans/<action>/heatmap, ...)')
    parser.add_argument('--depth-topic', default='',
                        help='depth Image aligned to --topic (16UC1 mm or 32FC1 m), paired by '
                             'exact stamp; needs --camera-info-topic')
    parser.add_argument('--camera-info-topic', default='', help='CameraInfo of --topic')
    parser.add_argument('--checkpoint', default='', help='model; empty = bundled demo model')
    add_device_argument(parser)
    add_backend_arguments(parser)
    parser.add_argument('--storage', choices=sorted(STORAGES), default=None,
                        help="output storage (default: the input's)")
    parser.add_argument('--max-image-pixels', type=int, default=MAX_IMAGE_PIXELS,
                        help='largest frame decoded; a compressed frame whose header declares '
                             'more is skipped (default %(default)s)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool; return 0, or 2 with a message for bad arguments or bags."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.depth_topic) != bool(args.camera_info_topic):
        parser.error('--depth-topic and --camera-info-topic go together')
    try:
        report = ground_bag(args)
    except (ValueError, OSError) as error:
        print(f'bag_grounding: {error}', file=sys.stderr)
        return 2
    skipped = sum(report.skipped.values())
    if report.salvaged:
        print(f'bag_grounding: {report.salvaged}')
    print(f'grounded {report.processed} frame(s) into {args.output}; skipped {skipped}')
    for reason, count in sorted(report.skipped.items()):
        print(f'  {count} x {reason}')
    return 0


def ground_bag(args: argparse.Namespace) -> BagReport:
    """Copy the input topic and write the grounding outputs of every frame, with its stamps.

    Frames go through the node's own GroundingPipeline (decoding, grounding, output messages);
    a bag writer stands where the node has publishers.
    """
    input_bag = bag_folder(args.input)
    check_output(input_bag, args.output, args.overwrite)
    grounder, warnings = load_default_grounder(args.checkpoint, args.device, args.precision,
                                               PeakConfig(), backend=args.backend,
                                               calibration=args.calibration)
    for warning in warnings:
        print(f'bag_grounding: warning: {warning}', file=sys.stderr)
    actions = grounder.validate_actions(args.action)
    storage = args.storage or ('mcap' if any(input_bag.glob('*.mcap')) else 'sqlite3')
    try:
        return write_grounded_bag(args, input_bag, storage, grounder, actions)
    except ReaderError as error:
        raise ValueError(f'cannot read bag {input_bag}: {error}') from None
    except WriterError as error:
        raise ValueError(f'cannot write bag {args.output}: {error}') from None


def write_grounded_bag(args: argparse.Namespace, input_bag: Path, storage: str, grounder: Any,
                       actions: List[str]) -> BagReport:
    """Copy the input topics and write every frame's outputs, into a folder renamed when done."""
    store = register_interfaces(get_typestore(Stores.ROS2_HUMBLE))
    builder = MessageBuilder({k: store.types[v] for k, v in BUILDER_TYPES.items()},
                             lambda data: np.frombuffer(data, np.uint8))
    report = BagReport()
    kinds = {**OUTPUTS, **(DEPTH_OUTPUTS if args.depth_topic else {})}
    with open_input(input_bag, report) as reader, \
            atomic_output(args.output, args.overwrite) as partial:
        sources = input_connections(reader, args, input_bag)
        with Writer(partial, version=9, storage_plugin=STORAGES[storage]) as writer:
            copies = {c.id: writer.add_connection(c.topic, c.msgtype, msgdef=c.msgdef.data,
                                                  rihs01=c.digest) for c in sources}
            several = len(actions) > 1
            outputs = {(a, kind): writer.add_connection(
                '/looptrans/' + output_name(kind, a, several=several), msgtype, typestore=store)
                for a in actions for kind, msgtype in kinds.items()}
            stamp = {}

            def write(grounding: Grounding) -> None:
                for action, kind, out in grounding_messages(builder, grounding,
                                                            lambda _, kind: kind in kinds):
                    writer.write(outputs[action, kind], stamp['ns'],
                                 store.serialize_cdr(out, kinds[kind]))

            settings = Settings(actions=tuple(actions), max_image_pixels=args.max_image_pixels)
            pipeline = GroundingPipeline(grounder, settings, write, report.skip)
            pairing = StampPairing()
            roles = {args.topic: pairing.colour, args.depth_topic: pairing.depth,
                     args.camera_info_topic: pairing.camera_info}
            for connection, timestamp, raw in tqdm(reader.messages(connections=sources),
                                                   total=sum(c.msgcount for c in sources),
                                                   unit='message'):
                writer.write(copies[connection.id], timestamp, raw)
                try:
                    message = store.deserialize_cdr(raw, connection.msgtype)
                except SerdeError as error:
                    report.skip(f'a message does not deserialize: {error}')
                    continue
                role = roles[connection.topic]
                ready = role(timestamp, message) if role == pairing.colour else role(message)
                ground_frames(pipeline, ready, stamp)
            ground_frames(pipeline, pairing.flush(), stamp)
            report.processed = pipeline.counts().processed
    return report


def ground_frames(pipeline: GroundingPipeline, frames: List[Any], stamp: Dict[str, int]) -> None:
    """Ground paired frames (timestamp, colour, depth, camera_info) at their bag timestamps."""
    for timestamp, colour, depth, info in frames:
        stamp['ns'] = timestamp
        pipeline.process(colour, depth=depth, camera_info=info)


def input_connections(reader: Reader, args: argparse.Namespace, input_bag: Path) -> List[Any]:
    """Return the connections of the image topic and, when given, of depth and camera_info."""
    source = [c for c in reader.connections if c.topic == args.topic]
    if not source or source[0].msgtype not in IMAGE_TYPES:
        images = sorted(c.topic for c in reader.connections if c.msgtype in IMAGE_TYPES)
        raise ValueError(f'no Image or CompressedImage topic {args.topic!r} in '
                         f'{input_bag}; image topics there: {images}')
    for topic, msgtype in ((args.depth_topic, 'sensor_msgs/msg/Image'),
                           (args.camera_info_topic, 'sensor_msgs/msg/CameraInfo')):
        found = [c for c in reader.connections if c.topic == topic]
        if topic and (not found or found[0].msgtype != msgtype):
            there = sorted(c.topic for c in reader.connections if c.msgtype == msgtype)
            raise ValueError(f'no {msgtype} topic {topic!r} in {input_bag}; {msgtype} topics '
                             f'there: {there}')
        source += found if topic else []
    return source


@contextmanager
def open_input(input_bag: Path, report: BagReport) -> Iterator[Any]:
    """Yield the input bag's reader: rosbags', or the readable part of a cut-off MCAP bag."""
    reader = Reader(input_bag)
    try:
        reader.open()
    except ReaderError:
        if not any(input_bag.glob('*.mcap')):
            raise
    else:
        try:
            yield reader
        finally:
            reader.close()
        return
    bag = salvage(input_bag)
    if not bag.connections:
        raise ReaderError('no readable MCAP record before the end of the file')
    report.salvaged = bag.describe()
    yield bag


if __name__ == '__main__':
    sys.exit(main())
