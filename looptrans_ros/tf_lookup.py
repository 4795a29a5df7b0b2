"""tf2 for the pipeline: transforms looked up at an image's stamp, as 4 x 4 matrices."""
from builtin_interfaces.msg import Time as TimeMessage
import numpy as np
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.time import Time
from tf2_ros import Buffer, TransformException, TransformListener

from looptrans_ros.rotations import homogeneous, matrix_from_quaternion
from looptrans_ros.spatial import TransformUnavailable


class TfLookup:
    """A tf2_ros Buffer filled by a TransformListener on `node`; called on the worker thread.

    The listener's /tf callbacks run on the node's executor and only store transforms; the
    wait (`Buffer.lookup_transform`'s timeout) happens on the calling thread, never the
    executor's.
    """

    def __init__(self, node: Node) -> None:
        self.buffer = Buffer()
        self.listener = TransformListener(self.buffer, node)

    def __call__(self, target: str, source: str, stamp: TimeMessage,
                 timeout_s: float) -> np.ndarray:
        """4 x 4 matrix target <- source at `stamp` (never the latest); waits up to `timeout_s`.

        Raises:
            TransformUnavailable: naming both frames, the stamp and tf2's reason.
        """
        try:
            transform = self.buffer.lookup_transform(target, source, Time.from_msg(stamp),
                                                     Duration(seconds=timeout_s)).transform
        except TransformException as error:
            raise TransformUnavailable(
                f'no transform from {source!r} to {target!r} at the image stamp '
                f'{stamp.sec}.{stamp.nanosec:09d} within {timeout_s:g} s '
                f'({type(error).__name__}: {error})') from None
        rotation, translation = transform.rotation, transform.translation
        return homogeneous(matrix_from_quaternion((rotation.x, rotation.y, rotation.z,
                                                   rotation.w)),
                           (translation.x, translation.y, translation.z))

    def close(self) -> None:
        """Stop listening to /tf and /tf_static."""
        self.listener.unregister()
