"""One camera of the soak, a process of its own: frames on `/<name>/image` at a fixed rate.

`python -m bench.soak_camera --name right --rate 50 --frames 10000 --bad-every 100
[--transport compressed]`. Once the node's subscription has matched, it prints `ready` and
waits for a line on stdin holding the start time (time.time()); from then it publishes on
absolute deadlines, every `--bad-every`-th frame a bad one (the kinds of bench.bad_frames in
turn), each stamped when sent. Last it prints one JSON line: frames sent, bad frames sent per
kind, seconds.
"""
import argparse
import json
import sys
import time
from typing import Dict, List, Optional

import rclpy
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from bench.bad_frames import good_compressed, good_images, kinds

MATCH_TIMEOUT_S = 120.0
LINGER_S = 1.0
"""Stay this long after the last frame, so a reliable reader can still ask for repeats."""


def wait_for_subscriber(node: Node, publisher, timeout_s: float) -> None:
    """Spin until `publisher` has a subscriber; RuntimeError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while publisher.get_subscription_count() == 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f'soak camera: no subscriber of {publisher.topic_name} in '
                               f'{timeout_s} s')
        rclpy.spin_once(node, timeout_sec=0.05)


def stream(node: Node, publisher, transport: str, rate_hz: float, frames: int, bad_every: int,
           start: float) -> Dict[str, object]:
    """Publish `frames` frames at `rate_hz` from `start` (time.time()); return what was sent."""
    good = good_compressed() if transport == 'compressed' else good_images()
    bad_kinds = list(kinds(transport).items())
    bad_sent: Dict[str, int] = {name: 0 for name, _ in bad_kinds}
    for index in range(frames):
        delay = start + index / rate_hz - time.time()
        if delay > 0:
            time.sleep(delay)
        message = good[index % len(good)]
        if bad_every and index % bad_every == bad_every - 1:
            name, make = bad_kinds[(index // bad_every) % len(bad_kinds)]
            message = make(message)
            bad_sent[name] += 1
        message.header = Header(stamp=node.get_clock().now().to_msg(), frame_id=node.get_name())
        publisher.publish(message)
    return {'sent': frames, 'bad_sent': bad_sent, 'seconds': time.time() - start}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.soak_camera', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--name', required=True, help='camera name: topics /<name>/image...')
    parser.add_argument('--rate', type=float, default=50.0, help='frames per second')
    parser.add_argument('--frames', type=int, default=10000, help='frames to send')
    parser.add_argument('--bad-every', type=int, default=0, help='one bad frame in N; 0 = none')
    parser.add_argument('--transport', choices=('raw', 'compressed'), default='raw')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Wait for the node, then the start time on stdin; send; print the JSON summary."""
    args = get_args_parser().parse_args(argv)
    rclpy.init()
    node = Node(f'soak_camera_{args.name}')
    try:
        msg_type, topic = ((CompressedImage, f'/{args.name}/image/compressed')
                           if args.transport == 'compressed' else (Image, f'/{args.name}/image'))
        publisher = node.create_publisher(msg_type, topic, 10)
        wait_for_subscriber(node, publisher, MATCH_TIMEOUT_S)
        print('ready', flush=True)
        start = float(sys.stdin.readline())
        summary = stream(node, publisher, args.transport, args.rate, args.frames,
                         args.bad_every, start)
        time.sleep(LINGER_S)
        print(json.dumps(summary), flush=True)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
