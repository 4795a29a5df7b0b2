"""save_image on real rclpy: skips, survives an unreadable frame, writes the image whole, exits."""
import cv2
from node_harness import header, image_message, Probe
import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image

from looptrans_ros.save_image import ImageSaver


def test_saves_the_first_readable_image_after_skipping_and_shuts_down(tmp_path, scene):
    context = Context()
    rclpy.init(context=context)
    path = tmp_path / 'pictures' / 'overlay.png'
    saver = ImageSaver(context=context, parameter_overrides=[
        Parameter('path', value=str(path)), Parameter('skip', value=1)])
    probe = Probe([saver])
    try:
        rgb = scene[..., ::-1].copy()
        probe.publish('/image', image_message(np.zeros_like(rgb), 'rgb8', header(1)))
        probe.publish('/image', Image(header=header(2), height=2, width=2, encoding='weird',
                                      step=6, data=bytes(12)))
        probe.spin_for(0.3)
        assert not path.exists(), 'the skipped and the unreadable image were not saved'
        probe.publish('/image', image_message(rgb, 'rgb8', header(3)))
        probe.spin_until(lambda: not context.ok(), 'save_image to shut its context down')
        np.testing.assert_array_equal(cv2.imread(str(path)), scene)
        assert [p.name for p in path.parent.iterdir()] == ['overlay.png']
    finally:
        probe.close()
        saver.destroy_node()
        rclpy.try_shutdown(context=context)


def test_a_path_opencv_cannot_write_is_refused_at_start(tmp_path):
    context = Context()
    rclpy.init(context=context)
    try:
        with pytest.raises(ValueError, match='give it a suffix such as .png'):
            ImageSaver(context=context,
                       parameter_overrides=[Parameter('path', value=str(tmp_path / 'picture'))])
    finally:
        rclpy.try_shutdown(context=context)
