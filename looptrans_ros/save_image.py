r"""The save_image node: write one image of a topic to a file, then exit; e.g. the node's overlay.

ros2 run looptrans_ros save_image --ros-args -r image:=/looptrans_grounding/overlay \\
    -p path:=overlay.png -p skip:=5

It saves what RViz's Image display would show: colour as it is (alpha dropped), grey as grey,
32FC1 heat maps as intensity in [0, 1]. A message it cannot read is logged and the next one
taken. The file is written beside its final name and renamed into place: whole or absent.
"""
import os
from pathlib import Path
import sys
from typing import Optional, Sequence

import cv2
import numpy as np
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from looptrans_ros.image_codec import as_bgr, decode_image, fields_of, to_colour
from looptrans_ros.node_runner import run_node

ANY_PUBLISHER = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
"""A best-effort subscription matches reliable and best-effort publishers alike."""


def to_bgr(message: Image) -> np.ndarray:
    """Return the message's pixels as the H x W x 3 uint8 BGR image a file holds.

    Raises:
        ValueError: an encoding the codec does not read, or data that does not fit it.
    """
    pixels = decode_image(fields_of(message))
    return as_bgr(*to_colour(pixels, message.encoding))


def write_whole(path: Path, pixels: np.ndarray) -> None:
    """Write `pixels` to `path` through a temporary file renamed into place.

    Raises:
        OSError: the file cannot be written; no partial file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f'.{path.stem}.partial{path.suffix}')
    try:
        if not cv2.imwrite(str(partial), pixels, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
            raise OSError(f'could not write {partial}')
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class ImageSaver(Node):
    """Saves the (skip + 1)-th message of `image` to `path` and shuts its context down."""

    def __init__(self, **kwargs) -> None:
        super().__init__('save_image', **kwargs)
        self.path = Path(self.declare_parameter('path', 'image.png', ParameterDescriptor(
            description='file to write (.png, .jpg, ...)', read_only=True)).value).expanduser()
        if not cv2.haveImageWriter(str(self.path)):
            raise ValueError(f'path {str(self.path)!r} is not an image file OpenCV can write; '
                             'give it a suffix such as .png or .jpg')
        self.skip = self.declare_parameter('skip', 0, ParameterDescriptor(
            description='messages to let pass first', read_only=True)).value
        self.seen = 0
        self.create_subscription(Image, 'image', self._on_image, ANY_PUBLISHER)

    def _on_image(self, message: Image) -> None:
        self.seen += 1
        if self.seen <= self.skip:
            return
        try:
            pixels = to_bgr(message)
        except ValueError as error:
            self.get_logger().warning(f'cannot save this {message.encoding} image ({error}); '
                                      'waiting for the next one')
            return
        try:
            write_whole(self.path, pixels)
        except OSError as error:
            self.get_logger().error(f'cannot write {self.path}: {error}')
        else:
            self.get_logger().info(f'wrote {message.width}x{message.height} '
                                   f'{message.encoding} image to {self.path}')
        self.context.try_shutdown()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Wait for the image, save it, exit 0 (or on Ctrl-C)."""
    return run_node(ImageSaver, args)


if __name__ == '__main__':
    sys.exit(main())
