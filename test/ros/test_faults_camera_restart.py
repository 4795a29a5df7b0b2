"""A camera driver that dies and starts again: a new publisher process on the same topic.

The camera is a process of its own (bench.soak_camera, 640 x 480 at 20 Hz), killed with
SIGKILL mid-stream; a new one starts. Grounding must resume within 2 s of the new camera's
first frame, and nothing may be counted as failed.
"""
from pathlib import Path
import subprocess
import sys
import time

from looptrans_interfaces.msg import AffordancePeaks
from test_node import make_node  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[2]
RESUME_WITHIN_S = 2.0


def start_camera() -> subprocess.Popen:
    """Start a camera process; return it once it has matched the node's subscription."""
    camera = subprocess.Popen(
        [sys.executable, '-m', 'bench.soak_camera', '--name', 'cam', '--rate', '20',
         '--frames', '100000'], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    assert camera.stdout.readline().strip() == 'ready'
    return camera


def stamp_s(message) -> float:
    return message.header.stamp.sec + message.header.stamp.nanosec * 1e-9


def test_grounding_resumes_after_the_camera_process_restarts(
        make_node):  # noqa: F811 - the fixture imported above
    node, probe = make_node(camera_names=['cam'])
    peaks = probe.subscribe(AffordancePeaks, '/looptrans_grounding/cam/peaks')
    cameras = []
    try:
        for round_ in range(2):
            cameras.append(start_camera())
            first_frame = time.time() + 0.2
            cameras[-1].stdin.write(f'{first_frame}\n')
            cameras[-1].stdin.flush()
            probe.spin_until(lambda: any(stamp_s(m) >= first_frame for m in peaks),
                             f'peaks from camera process {round_ + 1}')
            resumed = time.time() - first_frame
            assert resumed < RESUME_WITHIN_S, f'grounding resumed {resumed:.2f} s after'
            probe.spin_for(0.5)
            cameras[-1].kill()
            cameras[-1].wait()
            probe.spin_for(1.0)
    finally:
        for camera in cameras:
            camera.kill()
            camera.wait()
    counts = node.pipeline.counts()
    assert counts.failed == 0 and counts.rejected == 0 and counts.processed > 2, counts
