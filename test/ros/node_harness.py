"""Drive the grounding node through the rclpy stand-in: deliver messages, call the service."""
import time
from typing import Callable

from builtin_interfaces.msg import Time
import numpy as np
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from looptrans_ros.image_codec import encode_compressed, encode_image

WAIT_S = 20.0


def header(sec: int, nanosec: int = 0, frame_id: str = 'camera_optical') -> Header:
    """Return a std_msgs/Header."""
    return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def image_message(pixels: np.ndarray, encoding: str, stamp: Header) -> Image:
    """Return a sensor_msgs/Image of `pixels`."""
    fields = encode_image(pixels, encoding)
    return Image(header=stamp, height=fields.height, width=fields.width, encoding=encoding,
                 is_bigendian=0, step=fields.step, data=fields.data)


def compressed_message(image_bgr: np.ndarray, stamp: Header) -> CompressedImage:
    """Return a JPEG sensor_msgs/CompressedImage."""
    return CompressedImage(header=stamp, format='jpeg', data=encode_compressed(image_bgr))


def camera_info(stamp: Header, k) -> CameraInfo:
    """Return a sensor_msgs/CameraInfo with camera matrix `k`."""
    return CameraInfo(header=stamp, height=48, width=64, k=np.asarray(k, np.float64))


def deliver(node, topic: str, message) -> None:
    """Call the node's subscription callback of `topic` like the executor would."""
    node.subscriptions_by_topic[topic].callback(message)


def published(node, topic: str) -> list:
    """Return the messages the node published on `topic` (serialised for Humble and Jazzy)."""
    return node.publishers_by_topic[topic].messages


def wait_until(condition: Callable[[], bool]) -> None:
    """Wait for the node's worker thread to make `condition` true."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, 'the node did not get there in time'
        time.sleep(0.005)
