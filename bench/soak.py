"""The soak: two cameras, one of them flaky, into the installed node for thousands of frames.

`python -m bench.soak [--frames 10000] [--rate 50] [--transports raw compressed]
[--model demo|published] [--backend torch:fp32] [--image-qos best_effort] [--tuning]
[--json OUT]`, with ROS sourced and this package built (`make ros-build`, `source
install/setup.bash`).

The installed `grounding_node` runs as its own process with `camera_names: [left, right]`;
each camera is a process of its own (bench.soak_camera) sending 640 x 480 frames at `--rate`
on /left/image and /right/image (or image/compressed), in step. For each transport a clean run
(no bad frames) comes first, then a run in which `right` sends one bad frame in every 100
(bench.bad_frames, the kinds in turn); each run has a fresh node. This process samples the
node's RSS at the start and every 1,000 frames (the slope is fitted from frame 1,000 on: the
first forward passes allocate what the node keeps), records each camera's latency (stamp to the
arrival of its ~/<camera>/peaks) and, once the node has settled, its per-camera counts from
/diagnostics. DDS loss is `sent - received` per camera, apart from the node's own counts; the
kernel's UDP receive-buffer drops over the run (RcvbufErrors of /proc/net/snmp, the whole
machine) are reported beside it. `--tuning` runs node and cameras with CYCLONEDDS_URI raising
Cyclone's socket receive buffer (docs/ros.md, "Two cameras, big frames"). The targets are checked
and printed last; the benchmark reports them, no timed test asserts them.
"""
import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

from diagnostic_msgs.msg import DiagnosticArray
from looptrans_interfaces.msg import AffordancePeaks
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from bench.report import write_json
from bench.ros_node import (backend_spec, installed_node, published_checkpoint, rss_mib,
                            start_node, STARTUP_S, wait_for)
from bench.soak_report import accounting, check_targets, COUNTS, latency_window, rss_slope

CAMERAS = ('left', 'right')
BAD_EVERY = 100
RSS_EVERY = 1000
NODE = '/looptrans_grounding'
SOCKET_BUFFER = '4MB'
"""Cyclone's socket receive buffer with --tuning; the kernel caps it at net.core.rmem_max."""
TUNED_CYCLONE = ('<CycloneDDS><Domain Id="any"><Internal><SocketReceiveBufferSize min="{}"/>'
                 '</Internal></Domain></CycloneDDS>')


def udp_receive_buffer_errors() -> int:
    """Return the kernel's count of UDP datagrams dropped for a full socket receive buffer."""
    lines = [line.split() for line in Path('/proc/net/snmp').read_text().splitlines()
             if line.startswith('Udp:')]
    return int(lines[1][lines[0].index('RcvbufErrors')])


class Monitor:
    """Records each camera's peaks latency and the node's latest /diagnostics values."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.latency_ms: Dict[str, List[float]] = {camera: [] for camera in CAMERAS}
        self.values: Optional[Dict[str, str]] = None
        for camera in CAMERAS:
            node.create_subscription(AffordancePeaks, f'{NODE}/{camera}/peaks',
                                     lambda message, camera=camera: self._on_peaks(camera,
                                                                                   message), 100)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)

    def _on_peaks(self, camera: str, message: AffordancePeaks) -> None:
        now = self.node.get_clock().now().nanoseconds
        stamp = message.header.stamp.sec * 10 ** 9 + message.header.stamp.nanosec
        self.latency_ms[camera].append((now - stamp) / 1e6)

    def _on_diagnostics(self, message: DiagnosticArray) -> None:
        for status in message.status:
            if 'looptrans_grounding' in status.name:
                self.values = {kv.key: kv.value for kv in status.values}

    def camera_counts(self) -> Dict[str, Dict[str, int]]:
        """Return the node's latest counts per camera."""
        return {camera: {name: int(self.values[f'{camera}/frames_{name}']) for name in COUNTS}
                for camera in CAMERAS}

    def settled_counts(self, timeout_s: float = 15.0) -> Dict[str, Dict[str, int]]:
        """Return the counts once every received frame is accounted for and two reports agree."""
        deadline, last = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            time.sleep(1.1)
            counts = self.camera_counts()
            done = all(c['received'] == sum(c[name] for name in COUNTS[1:])
                       for c in counts.values())
            if done and counts == last:
                return counts
            last = counts
        return last


def start_cameras(args: argparse.Namespace, transport: str, bad: bool,
                  env: Dict[str, str]) -> Dict[str, subprocess.Popen]:
    """Start both camera processes; return them once each has seen the node subscribe."""
    cameras = {}
    for camera in CAMERAS:
        bad_every = BAD_EVERY if bad and camera == 'right' else 0
        cameras[camera] = subprocess.Popen(
            [sys.executable, '-m', 'bench.soak_camera', '--name', camera, '--rate',
             str(args.rate), '--frames', str(args.frames), '--bad-every', str(bad_every),
             '--transport', transport], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=dict(os.environ, **env))
    for camera, process in cameras.items():
        line = process.stdout.readline().strip()
        if line != 'ready':
            raise RuntimeError(f'soak: camera {camera} did not start ({line!r})')
    return cameras


def stream(args: argparse.Namespace, cameras: Dict[str, subprocess.Popen],
           pid: int) -> Tuple[Dict[str, dict], List[Tuple[int, float]]]:
    """Start both cameras in step; sample RSS every RSS_EVERY frames; return their summaries."""
    start = time.time() + 0.5
    for process in cameras.values():
        process.stdin.write(f'{start}\n')
        process.stdin.flush()
    samples = [(0, rss_mib(pid))]
    for frames in range(RSS_EVERY, args.frames + 1, RSS_EVERY):
        time.sleep(max(0.0, start + frames / args.rate - time.time()))
        samples.append((frames, rss_mib(pid)))
    summaries = {}
    for camera, process in cameras.items():
        out, _ = process.communicate(timeout=60 + args.frames / args.rate)
        summaries[camera] = json.loads(out.strip().splitlines()[-1])
    if samples[-1][0] != args.frames:
        samples.append((args.frames, rss_mib(pid)))
    return summaries, samples


def soak_run(args: argparse.Namespace, monitor: Monitor, transport: str, bad: bool,
             checkpoint: str, env: Dict[str, str], log: Path) -> Dict[str, object]:
    """One run on a fresh node: both cameras for `args.frames` frames; its figures."""
    arguments = ['-p', "camera_names:=['left', 'right']", '-p', f'image_transport:={transport}',
                 '-p', f'image_qos:={args.image_qos}']
    monitor.values = None
    with log.open('w') as output:
        node = start_node(checkpoint, args.executable or installed_node(),
                          *args.backend.split(':'), arguments, env, output)
    try:
        wait_for(lambda: node.poll() is not None or monitor.values is not None, STARTUP_S,
                 'grounding node on /diagnostics')
        if node.poll() is not None:
            raise RuntimeError(f'soak: grounding_node exited with {node.returncode}')
        for latencies in monitor.latency_ms.values():
            latencies.clear()
        kernel_drops = udp_receive_buffer_errors()
        cameras = start_cameras(args, transport, bad, env)
        summaries, samples = stream(args, cameras, node.pid)
        counts = monitor.settled_counts()
        kernel_drops = udp_receive_buffer_errors() - kernel_drops
    finally:
        node.send_signal(2)
        exit_code = node.wait(timeout=30)
    per_camera = {camera: {**accounting(summaries[camera], counts[camera]),
                           'latency': latency_window(monitor.latency_ms[camera])}
                  for camera in CAMERAS}
    seconds = summaries['left']['seconds']
    return {'transport': transport, 'bad_frames': bad, 'frames': args.frames, 'rate_hz': args.rate,
            'seconds': seconds, 'cameras': per_camera, 'rss_mib': samples,
            'rss_slope_mib_per_1k': rss_slope(samples[1:]) if len(samples) > 2 else None,
            'left_processed_per_s': per_camera['left']['processed'] / seconds,
            'kernel_udp_rcvbuf_drops': kernel_drops, 'node_exit_code': exit_code,
            'node_traceback': 'Traceback' in log.read_text(),
            'load_average_1min': os.getloadavg()[0]}


def print_run(run: Dict[str, object]) -> None:
    """Print the run's table: one line per camera, then RSS and the kernel's drops."""
    name = f"{run['transport']} {'bad' if run['bad_frames'] else 'clean'}"
    print(f"\n{name}: {run['frames']} frames per camera at {run['rate_hz']:g} Hz, "
          f"{run['seconds']:.1f} s, load {run['load_average_1min']:.2f}", flush=True)
    print(f"{'camera':7s} {'sent':>6s} {'recv':>6s} {'proc':>6s} {'drop':>6s} {'rej':>5s} "
          f"{'fail':>5s} {'ddsLost':>7s} {'bad':>4s}  lat50/95 first    lat50/95 last")
    for camera, c in run['cameras'].items():
        lat = c['latency']
        window = ('  '.join(f"{lat[f'{w}_median_ms']:6.1f} {lat[f'{w}_p95_ms']:6.1f}"
                            for w in ('first', 'last')) if lat['first_median_ms'] is not None
                  else '-')
        print(f"{camera:7s} {c['sent']:6d} {c['received']:6d} {c['processed']:6d} "
              f"{c['dropped']:6d} {c['rejected']:5d} {c['failed']:5d} {c['dds_lost']:7d} "
              f"{c['bad_sent']:4d}  {window} ms", flush=True)
    rss = ', '.join(f'{mib:.1f}' for _, mib in run['rss_mib'])
    slope = run['rss_slope_mib_per_1k']
    slope = '-' if slope is None else f'{slope:+.3f}'
    print(f'RSS MiB at the start and every {RSS_EVERY} frames: {rss}; slope from frame '
          f'{RSS_EVERY} on {slope} MiB per {RSS_EVERY} frames; left '
          f"{run['left_processed_per_s']:.2f} processed/s; "
          f"kernel UDP receive-buffer drops {run['kernel_udp_rcvbuf_drops']}; node exit "
          f"{run['node_exit_code']}{', TRACEBACK in its log' if run['node_traceback'] else ''}",
          flush=True)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m bench.soak', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--frames', type=int, default=10000, help='frames per camera per run')
    parser.add_argument('--rate', type=float, default=50.0, help='frames/s of each camera')
    parser.add_argument('--transports', nargs='+', choices=('raw', 'compressed'),
                        default=['raw', 'compressed'])
    parser.add_argument('--model', choices=('demo', 'published'), default='demo',
                        help='the bundled demo model, or the published architecture (random '
                        'weights)')
    parser.add_argument('--backend', type=backend_spec, default='torch:fp32',
                        metavar='BACKEND:PRECISION')
    parser.add_argument('--image-qos', default='best_effort',
                        choices=('best_effort', 'reliable', 'sensor_data'))
    parser.add_argument('--tuning', action='store_true',
                        help=f'Cyclone socket receive buffer {SOCKET_BUFFER} (CYCLONEDDS_URI)')
    parser.add_argument('--executable', type=Path, default=None,
                        help="grounding_node to run (default: the sourced workspace's)")
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    return parser


def soak(args: argparse.Namespace, folder: Path) -> Dict[str, object]:
    """Every run of `args`, clean then bad per transport; their figures and targets."""
    checkpoint = str(published_checkpoint(folder)) if args.model == 'published' else ''
    env = {'CYCLONEDDS_URI': TUNED_CYCLONE.format(SOCKET_BUFFER)} if args.tuning else {}
    results: Dict[str, object] = {'model': args.model, 'backend': args.backend,
                                  'image_qos': args.image_qos, 'tuning': args.tuning,
                                  'cpus': os.cpu_count(), 'runs': {}, 'targets': {}}
    node = Node('soak_monitor')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    monitor = Monitor(node)
    try:
        for transport in args.transports:
            clean = soak_run(args, monitor, transport, False, checkpoint, env,
                             folder / f'{transport}_clean.log')
            print_run(clean)
            bad = soak_run(args, monitor, transport, True, checkpoint, env,
                           folder / f'{transport}_bad.log')
            print_run(bad)
            results['runs'][f'{transport}_clean'] = clean
            results['runs'][f'{transport}_bad'] = bad
            targets = check_targets(bad, clean['left_processed_per_s'])
            results['targets'][transport] = [vars(target) for target in targets]
            for target in targets:
                print(f"target {transport} {target.name}: {'met' if target.ok else 'MISSED'} "
                      f'({target.detail})', flush=True)
    finally:
        executor.shutdown()
        node.destroy_node()
    return results


def main(argv: Optional[List[str]] = None) -> int:
    """Run the soak and print its tables and targets; 0 when every run ended cleanly."""
    args = get_args_parser().parse_args(argv)
    rclpy.init()
    try:
        with tempfile.TemporaryDirectory() as folder:
            results = soak(args, Path(folder))
    finally:
        rclpy.try_shutdown()
    write_json(args.json, results)
    clean_exits = all(run['node_exit_code'] == 0 and not run['node_traceback']
                      for run in results['runs'].values())
    return 0 if clean_exits else 1


if __name__ == '__main__':
    sys.exit(main())
