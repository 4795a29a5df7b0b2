"""The synthetic_camera node: generated scenes on `image`, `depth` and `camera_info` at 10 Hz.

The depth (16UC1, millimetres, aligned to the image, same stamp and frame) is that of the
scene in tabletop.py, seen from camera_pose.SIM_CAMERA_POSE; the node broadcasts that pose as
the static transform base_link -> `frame_id` (tf2_ros.StaticTransformBroadcaster). It does so
itself rather than beside a tf2_ros static_transform_publisher process: that C++ process dies
on the second SIGINT of a Ctrl-C under `ros2 launch`, where run_node survives any number.
"""
import sys

from geometry_msgs.msg import Quaternion, TransformStamped, Vector3
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from tf2_ros import StaticTransformBroadcaster

from looptrans_ros.camera_pose import SIM_CAMERA_POSE
from looptrans_ros.messages import byte_array, MessageBuilder
from looptrans_ros.node_runner import run_node
from looptrans_ros.synthetic_scenes import camera_matrices, SceneSource

SIZE = (480, 640)


class SyntheticCamera(Node):
    """Publishes rgb8 frames of synthetic objects and their depth, to run without hardware."""

    def __init__(self, **kwargs) -> None:
        super().__init__('synthetic_camera', **kwargs)
        rate = self.declare_parameter('rate_hz', 10.0, ParameterDescriptor(
            description='frames per second', read_only=True)).value
        self.frame_id = self.declare_parameter('frame_id', SIM_CAMERA_POSE.child_frame,
                                               ParameterDescriptor(read_only=True)).value
        seed = self.declare_parameter('seed', 0, ParameterDescriptor(read_only=True)).value
        publish_depth = self.declare_parameter('publish_depth', True, ParameterDescriptor(
            description='also publish the aligned depth (16UC1, mm) on depth',
            read_only=True)).value
        publish_tf = self.declare_parameter('publish_tf', True, ParameterDescriptor(
            description=f'broadcast the static transform {SIM_CAMERA_POSE.parent_frame} -> '
            'frame_id of the simulated camera', read_only=True)).value
        self.source = SceneSource(SIZE, seed, frames_per_scene=max(1, int(2 * rate)))
        self.builder = MessageBuilder({'Image': Image}, byte_array)
        self.image_pub = self.create_publisher(Image, 'image', 10)
        self.info_pub = self.create_publisher(CameraInfo, 'camera_info', 10)
        self.depth_pub = self.create_publisher(Image, 'depth', 10) if publish_depth else None
        self.create_timer(1.0 / rate, self._publish)
        self.tf_broadcaster = StaticTransformBroadcaster(self) if publish_tf else None
        if self.tf_broadcaster is not None:
            self.tf_broadcaster.sendTransform(self._camera_transform())

    def _camera_transform(self) -> TransformStamped:
        """Return SIM_CAMERA_POSE as the transform parent -> this camera's frame_id."""
        x, y, z = SIM_CAMERA_POSE.translation
        qx, qy, qz, qw = SIM_CAMERA_POSE.quaternion
        message = TransformStamped(child_frame_id=self.frame_id)
        message.header = Header(stamp=self.get_clock().now().to_msg(),
                                frame_id=SIM_CAMERA_POSE.parent_frame)
        message.transform.translation = Vector3(x=x, y=y, z=z)
        message.transform.rotation = Quaternion(x=qx, y=qy, z=qz, w=qw)
        return message

    def _publish(self) -> None:
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=self.frame_id)
        self.image_pub.publish(self.builder.image(header, self.source.next_frame(), 'rgb8'))
        if self.depth_pub is not None:
            self.depth_pub.publish(self.builder.image(header, self.source.depth_mm(), '16UC1'))
        self.info_pub.publish(CameraInfo(header=header, height=SIZE[0], width=SIZE[1],
                                         distortion_model='plumb_bob',
                                         **camera_matrices(SIZE)))


def main(args=None) -> int:
    """Publish until Ctrl-C or shutdown."""
    return run_node(SyntheticCamera, args)


if __name__ == '__main__':
    sys.exit(main())
