"""SIGTERM, what `docker stop` and systemd send: to the node, and to `ros2 launch`.

Every process must exit 0 within 10 s, without a traceback, while frames are flowing.
"""
import os
from pathlib import Path
import signal
import subprocess

from ament_index_python.packages import get_package_prefix
from ros_required import package_share
from test_ctrl_c import wait_for_heatmap

EXIT_WITHIN_S = 10.0
TROUBLE = ('Traceback', 'process has died', 'grounding a frame failed', 'Failed to publish')


def run_until_heatmap(command, log: Path, signal_to_send, group: bool) -> int:
    """Start `command`, wait for a heat map, send the signal; return the exit code."""
    with log.open('w') as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_heatmap()
            if group:
                os.killpg(process.pid, signal_to_send)
            else:
                process.send_signal(signal_to_send)
            return process.wait(timeout=EXIT_WITHIN_S)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_sigterm_to_ros2_launch_ends_every_node_cleanly(tmp_path: Path):
    package_share()
    log = tmp_path / 'launch.log'
    code = run_until_heatmap(['ros2', 'launch', 'looptrans_ros', 'grounding.launch.py',
                              'use_sim_camera:=true', 'use_rviz:=false', 'device:=cpu'],
                             log, signal.SIGTERM, group=False)
    text = log.read_text()
    assert code == 0, text
    for sign_of_trouble in TROUBLE:
        assert sign_of_trouble not in text, text
    for node in ('grounding_node-1', 'synthetic_camera-2'):
        assert f'[INFO] [{node}]: process has finished cleanly' in text, text


def test_sigterm_to_the_node_process_exits_0(tmp_path: Path):
    package_share()
    node = Path(get_package_prefix('looptrans_ros')) / 'lib' / 'looptrans_ros' / 'grounding_node'
    camera = subprocess.Popen(
        [str(node.with_name('synthetic_camera')), '--ros-args', '-p', 'rate_hz:=20.0',
         '-r', 'image:=/image'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    log = tmp_path / 'node.log'
    try:
        code = run_until_heatmap([str(node), '--ros-args', '-p', 'device:=cpu'], log,
                                 signal.SIGTERM, group=False)
    finally:
        camera.send_signal(signal.SIGINT)
        camera.wait(timeout=EXIT_WITHIN_S)
    text = log.read_text()
    assert code == 0, text
    for sign_of_trouble in TROUBLE:
        assert sign_of_trouble not in text, text
