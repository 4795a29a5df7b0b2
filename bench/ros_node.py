"""The grounding node on real ROS 2: frames/s, latency, drops and memory over DDS, per backend.

`python -m bench.ros_node [--quick] [--backends torch:fp32 openvino:fp32 ...] [--seconds S]
[--memory-frames N] [--locate] [--json OUT]`, with ROS sourced and this package built
(`make ros-build`, then `source install/setup.bash`).

The installed `grounding_node` runs as its own process (CPU) on each backend:precision asked
for, with the bundled demo model and with the published architecture (ViT-S/16, random
weights: speed ignores them), and with `--locate` a file in LOCATE's released layout (ViT-S/16,
Unseen, random weights); OpenVINO's converted model is made (or read from its cache)
before the runs start. The backends run one after the other, each on a fresh node. A camera
node in this process publishes 640 x 480 rgb8 frames of synthetic scenes at 30 and 100 Hz,
stamped when sent; a subscriber of `~/peaks` records the latency from stamp to arrival (the
node's publish plus one DDS hop), each run with and without a subscriber of `~/overlay`.
Received / processed / dropped / rejected / failed come from the node's `/diagnostics`, as
differences over the run, and so do the median times of each stage of a frame (the last 100
frames of the run: receive, decode, preprocess, network, postprocess, images, publish).
Last, RSS of the node process over `--memory-frames` frames at 100 Hz.
"""
import argparse
import array
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Sequence

from ament_index_python.packages import get_package_prefix
from diagnostic_msgs.msg import DiagnosticArray
from looptrans_interfaces.msg import AffordancePeaks
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header
import torch

from bench.contenders import make_model
from bench.report import write_json
from looptrans_core.affordances import SEEN_AFFORDANCES, UNSEEN_AFFORDANCES
from looptrans_core.checkpoints import CheckpointMetadata, save_checkpoint
from looptrans_core.device import backend_error
from looptrans_core.model.locate import Locate
from looptrans_ros.image_codec import encode_image
from looptrans_ros.synthetic_scenes import SceneSource

SIZE = (480, 640)
NODE = '/looptrans_grounding'
COUNTS = ('received', 'processed', 'dropped', 'rejected', 'failed')
STARTUP_S = 300.0
"""Longest wait for a node to come up: a first OpenVINO int8 start converts and calibrates."""


def published_checkpoint(folder: Path) -> Path:
    """Save the published architecture with seeded random weights; return the file."""
    return save_checkpoint(make_model('vit_small_patch16_224'), folder / 'published.safetensors',
                           CheckpointMetadata('vit_small_patch16_224', SEEN_AFFORDANCES, 'Seen',
                                              description='random weights (benchmark)'))


def locate_checkpoint(folder: Path) -> Path:
    """Save a `.pth` in LOCATE's layout (ViT-S/16, Unseen, seeded random weights); return it.

    LOCATE's files also hold the training-only `aff_exo_proj.*`, which loading drops; copies of
    the egocentric head stand in for it, so the file has LOCATE's keys.
    """
    torch.manual_seed(0)
    state = Locate(len(UNSEEN_AFFORDANCES)).state_dict()
    state.update({key.replace('aff_ego_proj.', 'aff_exo_proj.'): value.clone()
                  for key, value in state.items() if key.startswith('aff_ego_proj.')})
    torch.save(state, folder / 'locate_unseen.pth')
    return folder / 'locate_unseen.pth'


def installed_node() -> Path:
    """Return the grounding_node executable of the sourced workspace."""
    return Path(get_package_prefix('looptrans_ros')) / 'lib/looptrans_ros/grounding_node'


def start_node(checkpoint: str, executable: Path, backend: str, precision: str,
               arguments: Sequence[str] = ('-r', 'image:=/bench/image'),
               env: Optional[Dict[str, str]] = None, output=None) -> subprocess.Popen:
    """Start `executable` (a grounding_node) with ROS `arguments`, its own process, CPU.

    An empty `checkpoint` is the node's default, the bundled demo model; the default
    `arguments` remap its image to /bench/image; `env` is added to this process's environment;
    its stdout and stderr go to the file `output` (default: this process's).
    The executable's own package (`<prefix>/lib/pythonX.Y/site-packages` beside it) comes
    first on PYTHONPATH, so another build runs its own code.
    """
    version = f'python{sys.version_info.major}.{sys.version_info.minor}'
    site = executable.resolve().parents[2] / 'lib' / version / 'site-packages'
    env = dict(os.environ, **(env or {}), PYTHONPATH=os.pathsep.join(
        [str(site), os.environ.get('PYTHONPATH', '')]))
    model = ['-p', f'checkpoint:={checkpoint}'] if checkpoint else []
    return subprocess.Popen(
        [str(executable), '--ros-args', *model, '-p', 'device:=cpu', '-p', f'backend:={backend}',
         '-p', f'precision:={precision}', *arguments, '--log-level', 'warn'],
        stdin=subprocess.DEVNULL, env=env, stdout=output,
        stderr=None if output is None else subprocess.STDOUT)


def rss_mib(pid: int) -> float:
    """Resident set size of process `pid`, in MiB."""
    with open(f'/proc/{pid}/status') as status:
        line = next(line for line in status if line.startswith('VmRSS:'))
    return int(line.split()[1]) / 1024.0


class Camera:
    """Publishes frames, records peaks latency and overlays, keeps the latest diagnostics."""

    def __init__(self, node: Node) -> None:
        self.node = node
        source = SceneSource(SIZE, seed=0, frames_per_scene=1)
        self.frames = [encode_image(source.next_frame(), 'rgb8') for _ in range(4)]
        self.data = [array.array('B', fields.data) for fields in self.frames]
        self.publisher = node.create_publisher(Image, '/bench/image', 10)
        self.latency_ms: List[float] = []
        self.overlays = 0
        self.counts: Optional[Dict[str, int]] = None
        self.stages: Dict[str, float] = {}
        node.create_subscription(AffordancePeaks, f'{NODE}/peaks', self._on_peaks, 100)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self.overlay_subscription = None

    def _on_peaks(self, message: AffordancePeaks) -> None:
        now = self.node.get_clock().now().nanoseconds
        stamp = message.header.stamp.sec * 10 ** 9 + message.header.stamp.nanosec
        self.latency_ms.append((now - stamp) / 1e6)

    def _on_diagnostics(self, message: DiagnosticArray) -> None:
        for status in message.status:
            if 'looptrans_grounding' in status.name:
                values = {kv.key: kv.value for kv in status.values}
                self.counts = {name: int(values[f'frames_{name}']) for name in COUNTS}
                self.stages = {key[len('stage_'):-len('_ms')]: float(value)
                               for key, value in values.items() if key.startswith('stage_')}

    def subscribe_overlay(self, on: bool) -> None:
        """Subscribe to the overlay (the node renders it only then) or stop."""
        if on and self.overlay_subscription is None:
            self.overlay_subscription = self.node.create_subscription(
                Image, f'{NODE}/overlay', self._on_overlay,
                QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
        elif not on and self.overlay_subscription is not None:
            self.node.destroy_subscription(self.overlay_subscription)
            self.overlay_subscription = None

    def _on_overlay(self, message: Image) -> None:
        self.overlays += 1

    def publish(self, index: int) -> None:
        """Publish frame `index` stamped now."""
        fields = self.frames[index % len(self.frames)]
        header = Header(stamp=self.node.get_clock().now().to_msg(), frame_id='camera')
        self.publisher.publish(Image(
            header=header, height=fields.height, width=fields.width, encoding=fields.encoding,
            is_bigendian=0, step=fields.step, data=self.data[index % len(self.data)]))


def send(camera: Camera, rate_hz: float, num_frames: int, on_frame=None) -> float:
    """Publish `num_frames` frames at `rate_hz` on absolute deadlines; return the seconds."""
    start = time.perf_counter()
    for index in range(num_frames):
        delay = start + index / rate_hz - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        camera.publish(index)
        if on_frame is not None:
            on_frame(index + 1)
    return time.perf_counter() - start


def wait_for(condition, timeout_s: float, what: str) -> None:
    """Sleep until `condition()` (the executor spins in its own thread)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f'benchmark: no {what} within {timeout_s} s')
        time.sleep(0.05)


def settled_counts(camera: Camera) -> Dict[str, int]:
    """Return the node's counts once the last frame is grounded and the diagnostics tell it."""
    time.sleep(2.5)
    return dict(camera.counts)


def run(camera: Camera, rate_hz: float, seconds: float, overlay: bool) -> Dict[str, object]:
    """One run: frames at `rate_hz` for `seconds`; its figures as differences of counts."""
    camera.subscribe_overlay(overlay)
    time.sleep(1.0)  # let the overlay subscription match before counting
    before = settled_counts(camera)
    camera.latency_ms, camera.overlays = [], 0
    took = send(camera, rate_hz, int(rate_hz * seconds))
    after = settled_counts(camera)
    counts = {name: after[name] - before[name] for name in COUNTS}
    latency, sent = camera.latency_ms, int(rate_hz * seconds)
    accounted = counts['received'] == sum(counts[name] for name in COUNTS[1:])
    return {'rate_hz': rate_hz, 'overlay': overlay, 'seconds': took, 'sent': sent, **counts,
            'lost_before_node': sent - counts['received'], 'accounted': accounted,
            'processed_per_s': counts['processed'] / took,
            'latency_ms_median': statistics.median(latency) if latency else None,
            'latency_ms_p95': float(np.percentile(latency, 95)) if latency else None,
            'overlays': camera.overlays, 'stage_ms_median': dict(camera.stages)}


def memory_run(camera: Camera, pid: int, num_frames: int) -> Dict[str, object]:
    """RSS of the node process every num_frames / 10 frames at 100 Hz, no overlay."""
    camera.subscribe_overlay(False)
    every = max(1, num_frames // 10)
    samples = [(0, rss_mib(pid))]
    send(camera, 100.0, num_frames,
         lambda sent: samples.append((sent, rss_mib(pid))) if sent % every == 0 else None)
    frames, values = zip(*samples)
    return {'frames': num_frames, 'rss_mib_first': values[0], 'rss_mib_last': values[-1],
            'rss_mib_max': max(values),
            'rss_mib_per_1k_frames': float(np.polyfit(frames, values, 1)[0] * 1000)}


def bench_model(name: str, checkpoint: str, backend: str, seconds: float, memory_frames: int,
                rates: List[float], executable: Path, threads: int = 0) -> Dict[str, object]:
    """Every run on one model and backend:precision: each rate, overlay off and on, memory.

    `threads` is the node's `threads` parameter (0: the backend's default).
    """
    process = start_node(checkpoint, executable, *backend.split(':'),
                         ('-r', 'image:=/bench/image', '-p', f'threads:={threads}'))
    node = Node('bench_camera')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    camera = Camera(node)
    results: Dict[str, object] = {'model': name, 'backend': backend,
                                  'load_average_1min': os.getloadavg()[0]}
    name = f'{name} {backend}'
    try:
        wait_for(lambda: process.poll() is not None or (
            camera.counts is not None and camera.publisher.get_subscription_count()),
            STARTUP_S, 'grounding node on /diagnostics')
        if process.poll() is not None:
            raise RuntimeError(f'benchmark: grounding_node exited with {process.returncode}')
        send(camera, 10.0, 20)  # warm-up
        for rate in rates:
            for overlay in (False, True):
                key = f'{rate:g}hz' + ('_overlay' if overlay else '')
                results[key] = run(camera, rate, seconds, overlay)
                print_run(name, key, results[key])
        if memory_frames:
            results['memory_100hz'] = memory_run(camera, process.pid, memory_frames)
            print_memory(name, results['memory_100hz'])
    finally:
        executor.shutdown()
        node.destroy_node()
        process.send_signal(2)
        results['node_exit_code'] = process.wait(timeout=20)
    return results


def print_run(model: str, key: str, run: Dict[str, object]) -> None:
    """One line per run."""
    latency = (f"{run['latency_ms_median']:7.1f} {run['latency_ms_p95']:7.1f}"
               if run['latency_ms_median'] is not None else f"{'-':>7s} {'-':>7s}")
    print(f"{model:26s} {key:13s} sent {run['sent']:5d} recv {run['received']:5d} "
          f"proc {run['processed']:4d} ({run['processed_per_s']:5.2f}/s) "
          f"drop {run['dropped']:5d} rej {run['rejected']} fail {run['failed']} "
          f"lost {run['lost_before_node']:4d} accounted {run['accounted']} "
          f"lat50/95 {latency} ms overlays {run['overlays']}", flush=True)
    stages = run.get('stage_ms_median') or {}
    if stages:
        print(f"{'':26s} {'':13s} stage medians (ms): " + ', '.join(
            f'{stage} {ms:.1f}' for stage, ms in stages.items()), flush=True)


def print_memory(model: str, memory: Dict[str, object]) -> None:
    """Print the memory line."""
    print(f"{model:26s} RSS over {memory['frames']} frames at 100 Hz: "
          f"{memory['rss_mib_first']:.1f} -> {memory['rss_mib_last']:.1f} MiB "
          f"(max {memory['rss_mib_max']:.1f}, {memory['rss_mib_per_1k_frames']:+.3f} MiB per "
          '1k frames)', flush=True)


def speedups(results: Dict[str, object], models: Dict[str, str],
             backends: List[str]) -> Dict[str, float]:
    """Return processed frames/s of each backend over the first one's, per model and run."""
    ratios = {}
    for model in models:
        first = results[f'{model} {backends[0]}']
        for backend in backends[1:]:
            other = results[f'{model} {backend}']
            for key, run in other.items():
                if isinstance(run, dict) and 'processed_per_s' in run:
                    ratios[f'{model} {backend} / {backends[0]} {key}'] = (
                        run['processed_per_s'] / max(first[key]['processed_per_s'], 1e-9))
    return ratios


def print_speedups(ratios: Dict[str, float]) -> None:
    """Print each frames/s ratio."""
    for name, ratio in ratios.items():
        print(f'processed frames/s {name}: {ratio:.2f}x', flush=True)


def backend_spec(text: str) -> str:
    """Return `text` if it is BACKEND:PRECISION of a pair the Grounder runs, else refuse it."""
    backend, _, precision = text.partition(':')
    reason = backend_error(backend, precision) if precision else 'no :PRECISION'
    if reason:
        raise argparse.ArgumentTypeError(f'{text!r}: {reason} (e.g. torch:fp32, openvino:int8)')
    return text


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.ros_node', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='demo model only, 3 s per run, 500 memory frames')
    parser.add_argument('--seconds', type=float, default=None, help='seconds per run (20)')
    parser.add_argument('--memory-frames', type=int, default=None,
                        help='frames of the memory run on the demo model (10000; 0 skips)')
    parser.add_argument('--backends', nargs='+', default=['torch:fp32'], type=backend_spec,
                        metavar='BACKEND:PRECISION',
                        help='e.g. torch:fp32 openvino:fp32 openvino:int8 (default torch:fp32)')
    parser.add_argument('--rates', type=float, nargs='+', default=[30.0, 100.0],
                        help='camera rates in Hz (default 30 100)')
    parser.add_argument('--models', nargs='+', choices=('demo', 'published'),
                        default=['demo', 'published'], help='models to run (default both)')
    parser.add_argument('--threads', type=int, default=0,
                        help="the node's threads parameter (default 0: the backend's default)")
    parser.add_argument('--executable', type=Path, default=None,
                        help="grounding_node to run (default: the sourced workspace's), e.g. "
                        "another build's, to compare two versions")
    parser.add_argument('--locate', action='store_true',
                        help="also run a file in LOCATE's layout (ViT-S/16, random weights)")
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run every model's runs and print them."""
    args = get_args_parser().parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 20.0)
    memory_frames = args.memory_frames if args.memory_frames is not None else (
        500 if args.quick else 10000)
    rclpy.init()
    results: Dict[str, object] = {'cpus': os.cpu_count(), 'threads': args.threads}
    try:
        with tempfile.TemporaryDirectory() as folder:
            models = {name: '' if name == 'demo' else str(published_checkpoint(Path(folder)))
                      for name in (['demo'] if args.quick else args.models)}
            if args.locate:
                models['locate'] = str(locate_checkpoint(Path(folder)))
            for name, checkpoint in models.items():
                for backend in args.backends:
                    results[f'{name} {backend}'] = bench_model(
                        name, checkpoint, backend, seconds,
                        memory_frames if name == 'demo' and backend == args.backends[0] else 0,
                        args.rates, args.executable or installed_node(), args.threads)
            results['speedups'] = speedups(results, models, args.backends)
            print_speedups(results['speedups'])
    finally:
        rclpy.try_shutdown()
    write_json(args.json, results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
