"""launch_testing: the README's manipulation launch line, its send_goal line and Python client.

The launch arguments, the `ros2 action send_goal` line and the Python ActionClient example are
read from README.md and run as they are written there.
"""
from pathlib import Path
import re
import shlex
import subprocess
import sys
import unittest

from geometry_msgs.msg import PoseArray
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
import launch_testing
from launch_testing.actions import ReadyToTest
import launch_testing.asserts
from looptrans_interfaces.msg import AffordancePeaks
from node_harness import CleanShutdownChecks, ProbeTestCase, STARTUP_S
import numpy as np
import pytest
from ros_required import package_share
from sensor_msgs.msg import Image, PointCloud2
from sensor_msgs_py.point_cloud2 import read_points_numpy

from looptrans_ros.image_codec import decode_image, fields_of
from looptrans_ros.projection import transform_points
from looptrans_ros.synthetic_camera import SIZE
from looptrans_ros.synthetic_scenes import SceneSource, SIM_CAMERA_POSE

README = (Path(__file__).resolve().parents[2] / 'README.md').read_text()
LAUNCH_LINE = next(line for line in README.splitlines()
                   if line.startswith('ros2 launch looptrans_ros grounding.launch.py')
                   and 'target_frame:=base_link' in line)
SEND_GOAL_LINE = next(line for line in README.splitlines()
                      if line.startswith('ros2 action send_goal'))
PYTHON_CLIENT = re.search(r'or from Python[^\n]*\n\n```python\n(.*?)```', README, re.S).group(1)
NODE = '/looptrans_grounding'
CAMERA_IMAGE = '/camera/image_raw'
SCENES = 12
"""Scenes of the camera replayed to find a frame's ground truth (a new one every 20 frames)."""


@pytest.mark.launch_test
def generate_test_description():
    """Launch the package's launch file with the README line's arguments."""
    arguments = dict(word.split(':=', 1) for word in shlex.split(LAUNCH_LINE) if ':=' in word)
    grounding = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(f'{package_share()}/launch/grounding.launch.py'),
        launch_arguments=arguments.items())
    return LaunchDescription([grounding, ReadyToTest()])


class TestManipulationAsTheReadmeSays(ProbeTestCase):
    """3D outputs in base_link on the synthetic scene; the README's goal line and client."""

    def tearDown(self):
        self.probe.unsubscribe_all()

    def test_cloud_and_poses_in_base_link_lie_on_the_scene(self):
        images = self.probe.subscribe(Image, CAMERA_IMAGE)
        clouds = self.probe.subscribe(PointCloud2, f'{NODE}/cloud')
        poses = self.probe.subscribe(PoseArray, f'{NODE}/poses')
        peaks = self.probe.subscribe(AffordancePeaks, f'{NODE}/peaks')
        self.probe.spin_until(lambda: clouds and poses and peaks, 'cloud, poses and peaks',
                              STARTUP_S)
        self.assertEqual(peaks[0].position_frame, 'base_link')
        self.assertEqual(poses[0].header.frame_id, 'base_link')
        cloud = clouds[0]
        self.assertEqual(cloud.header.frame_id, 'base_link')
        stamp = (cloud.header.stamp.sec, cloud.header.stamp.nanosec)
        self.probe.spin_until(lambda: any((m.header.stamp.sec, m.header.stamp.nanosec) == stamp
                                          for m in images), "the cloud's camera frame")
        image = next(m for m in images
                     if (m.header.stamp.sec, m.header.stamp.nanosec) == stamp)
        geometry = replayed_geometry(decode_image(fields_of(image)))
        points = read_points_numpy(cloud, field_names=('x', 'y', 'z', 'heat'))
        self.assertGreater(len(points), 0)
        self.assertTrue((points[:, 3] >= 0.5).all())
        in_camera = transform_points(points[:, :3], np.linalg.inv(SIM_CAMERA_POSE.matrix()))
        self.assertLess(float(np.nanmax(geometry.distance_to_surface(in_camera))), 0.01)

    def test_the_readme_send_goal_line_as_written(self):
        done = subprocess.run(shlex.split(SEND_GOAL_LINE), capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('stage: waiting_for_frame', done.stdout)
        self.assertIn('position_frame: base_link', done.stdout)
        self.assertIn('Goal finished with status: SUCCEEDED', done.stdout)

    def test_the_readme_python_client_as_written(self):
        done = subprocess.run([sys.executable, '-c', PYTHON_CLIENT], capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(lines[:3], ['stage waiting_for_frame', 'stage grounding',
                                     'stage projecting'])
        self.assertTrue(lines[3].startswith('grounded hold on a 640 x 480 image'), lines)
        self.assertTrue(all(line.startswith('hold in base_link: at (') for line in lines[4:]))


def replayed_geometry(pixels: np.ndarray):
    """Return the ground truth of the camera's scene whose image is `pixels` (seed 0, in order)."""
    source = SceneSource(SIZE, seed=0, frames_per_scene=1)
    for _ in range(SCENES):
        if np.array_equal(source.next_frame(), pixels):
            return source.geometry
    raise AssertionError(f'the frame is none of the first {SCENES} scenes of the camera')


@launch_testing.post_shutdown_test()
class TestShutdown(CleanShutdownChecks, unittest.TestCase):
    """launch's SIGINT at the end: every node exits 0 and prints no traceback."""
