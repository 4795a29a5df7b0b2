"""The system cv_bridge beside pip's OpenCV: checked per encoding, and both conversion paths."""
from cv_bridge import CvBridge
import numpy as np
import pytest
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from looptrans_ros.conversion import (Bridge, check_bridge, CODEC_ONLY, depth_to_metres,
                                      image_to_colour, load_bridge, sample_pixels)
from looptrans_ros.image_codec import decode_image, ENCODINGS, fields_of, to_colour
from looptrans_ros.messages import byte_array, MessageBuilder

ALL_ENCODINGS = list(ENCODINGS)


class MislabellingBridge:
    """A real CvBridge that writes mono8 images one grey level too bright."""

    def __init__(self) -> None:
        self.bridge = CvBridge()

    def cv2_to_imgmsg(self, pixels, encoding, header=None):
        wrong = pixels + 1 if encoding == 'mono8' else pixels
        return self.bridge.cv2_to_imgmsg(wrong, encoding=encoding, header=header)

    def imgmsg_to_cv2(self, message, desired_encoding):
        return self.bridge.imgmsg_to_cv2(message, desired_encoding=desired_encoding)


@pytest.fixture(scope='module')
def system_bridge() -> Bridge:
    return load_bridge()


@pytest.fixture(scope='module')
def every_path(system_bridge):
    """Return the node's conversions: codec only, and the system bridge where its check passed."""
    return {'codec': CODEC_ONLY, 'cv_bridge': system_bridge}


def write(bridge: Bridge, pixels: np.ndarray, encoding: str) -> Image:
    """Write an Image the way a bridge would: cv_bridge where trusted, else the node's codec."""
    if bridge.converts(encoding):
        return bridge.cv_bridge.cv2_to_imgmsg(pixels, encoding=encoding,
                                              header=Header(frame_id='camera'))
    return MessageBuilder({'Image': Image}, byte_array).image(Header(frame_id='camera'),
                                                              pixels, encoding)


def test_the_check_sorts_every_encoding_and_says_so(system_bridge):
    assert system_bridge.cv_bridge is not None, 'cv_bridge does not import on this ROS'
    assert system_bridge.encodings | set(system_bridge.failures) == set(ALL_ENCODINGS)
    assert not system_bridge.encodings & set(system_bridge.failures)
    line = system_bridge.describe()
    assert line.startswith('image conversion: cv_bridge for ')
    for encoding in system_bridge.failures:
        assert encoding in line.split('built-in codec for ')[1]


def test_the_check_finds_a_bridge_that_converts_wrongly():
    checked = check_bridge(MislabellingBridge())
    assert not checked.converts('mono8')
    assert 'message fields differ' in checked.failures['mono8']
    assert checked.converts('32FC1') == check_bridge(CvBridge()).converts('32FC1')


@pytest.mark.parametrize('encoding', ALL_ENCODINGS)
def test_both_paths_write_and_read_the_same_images(every_path, encoding):
    pixels = sample_pixels(encoding)
    messages = {name: write(bridge, pixels, encoding) for name, bridge in every_path.items()}
    for name, message in messages.items():
        assert isinstance(message, Image) and message.header.frame_id == 'camera', name
        assert np.array_equal(decode_image(fields_of(message)), pixels), name
        expected, order = to_colour(pixels, encoding)
        for reader, bridge in every_path.items():
            colour, got = image_to_colour(message, bridge)
            assert got == order and np.array_equal(colour, expected), (name, reader)


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
def test_both_paths_read_depth_in_metres(every_path, encoding):
    pixels = sample_pixels(encoding)
    message = write(CODEC_ONLY, pixels, encoding)
    depths = [depth_to_metres(message, 0.001, bridge) for bridge in every_path.values()]
    assert np.array_equal(depths[0], depths[1]) and depths[0].dtype == np.float32
