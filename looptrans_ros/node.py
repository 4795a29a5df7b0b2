"""The looptrans_grounding node: camera frames in; heat maps, overlays and peaks out.

Thin rclpy wiring over GroundingPipeline; every decision lives in ROS-free modules.
"""
import array
from functools import partial
import sys

from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point, PointStamped, Pose, Quaternion, Vector3
from looptrans_interfaces.msg import AffordancePeaks, InteractionPoint
from looptrans_interfaces.srv import SetAffordance
from rcl_interfaces.msg import ParameterDescriptor, ParameterType, SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from looptrans_core.default_model import load_default_grounder
from looptrans_core.peaks import PeakConfig
from looptrans_core.visualize import render_overlay
from looptrans_ros.camera_slots import SINGLE_CAMERA
from looptrans_ros.conversion import (compressed_to_bgr8, depth_to_metres, image_to_bgr8,
                                      load_bridge)
from looptrans_ros.diagnostics import diagnostic_summary, diagnostic_values
from looptrans_ros.grounding_pipeline import Frame, Grounding, GroundingPipeline, stamp_seconds
from looptrans_ros.image_codec import ImageFormatError
from looptrans_ros.messages import MessageBuilder
from looptrans_ros.node_runner import run_node
from looptrans_ros.parameters import action_error, parameter_error, SPECS
from looptrans_ros.projection import Intrinsics

MESSAGE_TYPES = {cls.__name__: cls for cls in (
    AffordancePeaks, ColorRGBA, DiagnosticArray, DiagnosticStatus, Duration, Header, Image,
    InteractionPoint, KeyValue, Marker, MarkerArray, Point, PointStamped, Pose, Quaternion,
    Vector3)}


def image_qos(name: str) -> QoSProfile:
    """Return the subscription QoS named by the `image_qos` parameter."""
    if name == 'sensor_data':
        return qos_profile_sensor_data
    reliability = ReliabilityPolicy.RELIABLE if name == 'reliable' else \
        ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=reliability)


def camera_topic(camera: str, topic: str) -> str:
    """Return `topic` of `camera`: `<camera>/<topic>`, or `topic` for the single camera."""
    return f'{camera}/{topic}' if camera else topic


def descriptor(spec) -> ParameterDescriptor:
    """Return the ParameterDescriptor of a ParameterSpec.

    rclpy types an empty-list default as a byte array, so the string-array parameter is declared
    with dynamic_typing (it is read-only, so only its start-up value can be set).
    """
    if isinstance(spec.default, list):
        return ParameterDescriptor(description=spec.description, read_only=spec.read_only,
                                   type=ParameterType.PARAMETER_STRING_ARRAY,
                                   dynamic_typing=True)
    return ParameterDescriptor(description=spec.description, read_only=spec.read_only)


class GroundingNode(Node):
    """Grounds the `action` parameter's affordance on the newest camera frame."""

    def __init__(self, **kwargs) -> None:
        super().__init__('looptrans_grounding', **kwargs)
        for spec in SPECS:
            self.declare_parameter(spec.name, spec.default, descriptor(spec))
        p = {spec.name: self.get_parameter(spec.name).value for spec in SPECS}
        peaks = PeakConfig(p['num_peaks'], p['peak_min_distance'], p['peak_threshold'])
        grounder, warnings = load_default_grounder(p['checkpoint'], p['device'],
                                                   p['precision'], peaks,
                                                   threads=p['threads'] or None)
        for warning in warnings:
            self.get_logger().warning(warning)
        self.available = grounder.affordances
        for name, value in p.items():
            reason = parameter_error(name, value, self.available)
            if reason:
                raise ValueError(f'parameter {reason}')
        if p['use_depth'] and p['camera_names']:
            raise ValueError(f'use_depth needs a single camera; got camera_names '
                             f'{p["camera_names"]!r} (leave camera_names empty to use depth)')
        self.bridge = load_bridge()
        self.get_logger().info(self.bridge.describe())
        self.builder = MessageBuilder(MESSAGE_TYPES, lambda data: array.array('B', data),
                                      self.bridge)
        self.compressed = p['image_transport'] == 'compressed'
        self.pipeline = GroundingPipeline(grounder, p['action'], self._frame, self._publish,
                                          self._warn, p['use_depth'],
                                          p['camera_names'] or [SINGLE_CAMERA])
        self.settings = p
        for name, value in p.items():
            self.pipeline.set_option(name, value)
        self._create_interfaces(image_qos(p['image_qos']))
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.pipeline.start()
        self.get_logger().info(f'grounding {p["action"]!r} on {grounder.device}; '
                               f'{len(self.available)} actions available')

    def _create_interfaces(self, qos: QoSProfile) -> None:
        group = MutuallyExclusiveCallbackGroup()
        image_type, image_topic = ((CompressedImage, 'image/compressed') if self.compressed
                                   else (Image, 'image'))
        self.outputs = {}
        for camera in self.pipeline.slot.slots:
            self.create_subscription(image_type, camera_topic(camera, image_topic),
                                     partial(self.pipeline.submit, camera=camera), qos,
                                     callback_group=group)
            self.outputs[camera] = {
                name: self.create_publisher(msg_type, '~/' + camera_topic(camera, name), 10)
                for name, msg_type in (('heatmap', Image), ('overlay', Image),
                                       ('peaks', AffordancePeaks))}
        if self.pipeline.use_depth:
            self.create_subscription(Image, 'depth', self._on_depth, qos, callback_group=group)
            self.create_subscription(CameraInfo, 'camera_info', self._on_camera_info, 10)
            self.point_pub = self.create_publisher(PointStamped, '~/peak_point', 10)
            self.marker_pub = self.create_publisher(MarkerArray, '~/markers', 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_service(SetAffordance, '/set_affordance', self._on_set_affordance)
        self.create_timer(1.0, self._publish_diagnostics)

    def _frame(self, message) -> Frame:
        if self.compressed:
            return Frame(message.header, compressed_to_bgr8(message))
        return Frame(message.header, image_to_bgr8(message, self.bridge))

    def _on_depth(self, message: Image) -> None:
        try:
            depth = depth_to_metres(message, self.settings['depth_scale'], self.bridge)
        except ImageFormatError as error:
            self.pipeline.stats.rejected()
            self.get_logger().warning(f'rejected a depth frame: {error}')
            return
        self.pipeline.depth.add(stamp_seconds(message.header.stamp), depth)

    def _on_camera_info(self, message: CameraInfo) -> None:
        try:
            self.pipeline.intrinsics = Intrinsics.from_k(message.k)
        except ValueError as error:
            self.get_logger().warning(f'ignoring camera_info: {error}')

    def _warn(self, text: str) -> None:
        if self.context.ok():  # after Ctrl-C rclpy has shut the context, and /rosout with it
            self.get_logger().warning(text)

    def _publish(self, grounding: Grounding) -> None:
        if not self.context.ok():  # shutting down: a frame in flight has nowhere to go
            return
        header, result = grounding.frame.header, grounding.result
        outputs = self.outputs[grounding.camera]
        outputs['heatmap'].publish(self.builder.heatmap(header, result.heatmap))
        outputs['peaks'].publish(self.builder.peaks(header, result.action, result.peaks,
                                                    grounding.positions))
        if grounding.positions is not None:
            self.marker_pub.publish(self.builder.markers(header, result.action, result.peaks,
                                                         grounding.positions))
            if grounding.positions and grounding.positions[0] is not None:
                self.point_pub.publish(self.builder.point_stamped(header,
                                                                  grounding.positions[0]))
        if outputs['overlay'].get_subscription_count() > 0:  # the debug image goes last
            overlay = render_overlay(grounding.frame.image_bgr, result.heatmap, result.peaks,
                                     result.action, self.settings['overlay_alpha'],
                                     self.settings['colormap'])
            outputs['overlay'].publish(self.builder.image(header, overlay, 'bgr8'))

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        for parameter in parameters:
            reason = parameter_error(parameter.name, parameter.value, self.available)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        for parameter in parameters:
            self.settings[parameter.name] = parameter.value
            self.pipeline.set_option(parameter.name, parameter.value)
        return SetParametersResult(successful=True, reason='')

    def _on_set_affordance(self, request, response):
        reason = action_error(request.action, self.available)
        if reason is None:
            result = self.set_parameters([Parameter('action', Parameter.Type.STRING,
                                                    request.action)])[0]
            reason = None if result.successful else result.reason
        response.success = reason is None
        response.message = reason or f'grounding {request.action!r}'
        response.available = list(self.available)
        self.get_logger().info(f'set_affordance {request.action!r}: {response.message}')
        return response

    def _publish_diagnostics(self) -> None:
        slot = self.pipeline.slot
        counts = self.pipeline.stats.snapshot(slot.received, slot.dropped)
        ok, message = diagnostic_summary(counts)
        values = diagnostic_values(counts, str(self.pipeline.grounder.device),
                                   self.pipeline.action)
        self.diagnostics_pub.publish(self.builder.diagnostics(
            self.get_clock().now().to_msg(), f'{self.get_name()}: grounding', ok, message,
            str(self.pipeline.grounder.device), values))

    def destroy_node(self) -> None:
        """Stop the worker, then the node."""
        self.pipeline.stop()
        super().destroy_node()


def main(args=None) -> int:
    """Run the node until Ctrl-C or shutdown; exit 1 with the reason on a startup error."""
    return run_node(GroundingNode, args, 'Pass checkpoint:=/path/to/model.safetensors (or a '
                    'published .pth) and valid parameters; see config/grounding.yaml.')


if __name__ == '__main__':
    sys.exit(main())
