"""Ctrl-C in the terminal running `ros2 launch`: SIGINT to its whole process group.

Every node then gets the terminal's SIGINT and, while shutting down, launch's own; each must
exit 0 without a traceback, however many arrive, within 10 s.
"""
import os
from pathlib import Path
import signal
import subprocess
import time

from node_harness import IMAGE_QOS, Probe, STARTUP_S
import pytest
import rclpy
from rclpy.context import Context
from ros_required import package_share
from sensor_msgs.msg import Image

EXIT_WITHIN_S = 10.0
NODES = ('grounding_node-1', 'synthetic_camera-2')


def wait_for_heatmap() -> None:
    """Spin a probe of its own until the launched node publishes a heat map."""
    context = Context()
    rclpy.init(context=context)
    probe = Probe([], context=context)
    try:
        heatmaps = probe.subscribe(Image, '/looptrans_grounding/heatmap', IMAGE_QOS)
        probe.spin_until(lambda: heatmaps, 'a heat map from the launched node', STARTUP_S)
    finally:
        probe.close()
        rclpy.try_shutdown(context=context)


@pytest.mark.parametrize('interrupts', [1, 3])
def test_ctrl_c_stops_every_node_cleanly(tmp_path: Path, interrupts: int):
    package_share()
    log = tmp_path / 'launch.log'
    with log.open('w') as output:
        launch = subprocess.Popen(
            ['ros2', 'launch', 'looptrans_ros', 'grounding.launch.py', 'use_sim_camera:=true',
             'use_rviz:=false', 'device:=cpu'],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_for_heatmap()
            start = time.monotonic()
            for _ in range(interrupts):
                os.killpg(launch.pid, signal.SIGINT)
                time.sleep(0.2)
            launch.wait(timeout=EXIT_WITHIN_S)
            took = time.monotonic() - start
        finally:
            if launch.poll() is None:
                os.killpg(launch.pid, signal.SIGKILL)
                launch.wait()
    text = log.read_text()
    assert launch.returncode == 0, text
    for sign_of_trouble in ('Traceback', 'process has died', 'grounding a frame failed',
                            'Failed to publish'):
        assert sign_of_trouble not in text, text
    for node in NODES:
        assert f'[INFO] [{node}]: process has finished cleanly' in text, text
    assert took < EXIT_WITHIN_S
