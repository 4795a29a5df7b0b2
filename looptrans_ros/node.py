"""The looptrans_grounding node: a managed (lifecycle) node over one GroundingPipeline.

configure: read the parameters, load the model; activate: subscriptions and publishers live,
grounding runs; deactivate: grounding stops and the model leaves the GPU; cleanup: the model
is dropped. With `autostart` (default) the node configures and activates itself at start.
"""
from functools import partial
import sys
import time
from typing import Any, Dict, List, Tuple

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped, PoseArray
from looptrans_interfaces.msg import AffordancePeaks
from looptrans_interfaces.srv import SetAffordance
from message_filters import ApproximateTimeSynchronizer, Subscriber
from rcl_interfaces.msg import SetParametersResult
from rclpy.event_handler import QoSMessageLostInfo, SubscriptionEventCallbacks
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2
from visualization_msgs.msg import MarkerArray

from looptrans_core import load_default_grounder
from looptrans_ros.camera_slots import SINGLE_CAMERA
from looptrans_ros.conversion import load_bridge
from looptrans_ros.depth_sync import DepthWait, stamp_key
from looptrans_ros.diagnostics import (camera_values, diagnostic_summary, diagnostic_values,
                                       lost_values)
from looptrans_ros.ground_action import GroundActionServer
from looptrans_ros.grounding_pipeline import Grounding, GroundingPipeline
from looptrans_ros.log_limiter import LogLimiter
from looptrans_ros.messages import byte_array, MessageBuilder
from looptrans_ros.node_runner import run_node
from looptrans_ros.outputs import DEPTH_KINDS, grounding_messages, output_name
from looptrans_ros.parameters import parameter_error, SPECS, unconfigured_only_error
from looptrans_ros.ros_types import descriptor, image_qos, MESSAGE_TYPES, output_qos
from looptrans_ros.settings import Settings
from looptrans_ros.stage_times import stage_values
from looptrans_ros.tf_lookup import TfLookup

OUTPUT_TYPES = {'heatmap': Image, 'overlay': Image, 'peaks': AffordancePeaks,
                'markers': MarkerArray, 'peak_point': PointStamped, 'cloud': PointCloud2,
                'poses': PoseArray}
SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE
START_HINT = ('Pass checkpoint:=/path/to/model.safetensors (or a published .pth) and valid '
              'parameters; see config/grounding.yaml.')


class GroundingNode(LifecycleNode):
    """Grounds the requested affordances on the newest frame of each camera.

    Threads: the executor (single-threaded, run_node) runs every callback, and each only
    stores a message, swaps the settings snapshot, answers a service or publishes
    /diagnostics; the pipeline's three threads do the work (GroundingPipeline): `prepare`
    (decode and preprocess the newest frames), `network` (the forward pass) and `publish`
    (post-process, the output messages, publishing), overlapped on depth-1 hand-offs. Nothing
    here waits on them; what they share with the callbacks is the pipeline's (locked slots and
    counters, one settings reference swapped whole). DDS has threads of its own.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__('looptrans_grounding', **kwargs)
        for spec in SPECS:
            self.declare_parameter(spec.name, spec.default, descriptor(spec))
        self.pipeline = None
        self.configure_error = ''
        self.available: Tuple[str, ...] = ()
        self.publishers_by_name: Dict[str, Any] = {}
        self.inputs: List[Any] = []
        self.depth_wait = DepthWait()
        self.ground_server = None
        self.frames_lost: Dict[str, int] = {}
        """Per camera: frames the middleware reported lost (its message_lost event)."""
        self.limited_warning = LogLimiter(self.get_logger().warning)
        self.bridge = load_bridge()
        self.builder = MessageBuilder(MESSAGE_TYPES, byte_array)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        if self.parameters()['autostart']:
            self.autostart()

    def parameters(self) -> Dict[str, Any]:
        """Return every parameter's current value by name."""
        return {spec.name: self.get_parameter(spec.name).value for spec in SPECS}

    def autostart(self) -> None:
        """Configure and activate; ValueError with the reason when configuring fails."""
        if self.trigger_configure() != SUCCESS:
            raise ValueError(self.configure_error)
        self.trigger_activate()

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Load the model and check the parameters; FAILURE (logged, reason kept) if unfit."""
        p = self.parameters()
        settings = Settings.from_parameters(p)
        try:
            grounder, warnings = load_default_grounder(
                p['checkpoint'], p['device'], p['precision'], settings.peak_config,
                threads=p['threads'] or None, backend=p['backend'],
                calibration=p['calibration'] or None)
            self.check_startup(p, grounder.affordances)
        except Exception as error:  # noqa: BLE001 - rclpy drops a transition's exception unlogged
            self.configure_error = (str(error) if isinstance(error, ValueError)
                                    else f'{type(error).__name__}: {error}')
            self.get_logger().error(f'cannot configure: {self.configure_error}. {START_HINT}')
            return FAILURE
        for warning in warnings:
            self.get_logger().warning(warning)
        self.get_logger().info(self.bridge.describe())
        self.available = grounder.affordances
        self.tf = TfLookup(self)
        self.pipeline = GroundingPipeline(grounder, settings, self._publish,
                                          self._warn, self.bridge,
                                          p['camera_names'] or [SINGLE_CAMERA], self.tf)
        self.service = self.create_service(SetAffordance, 'set_affordance',
                                           self._on_set_affordance)
        self.ground_server = GroundActionServer(self, self.pipeline, self.builder)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.timer = self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f'configured: {len(self.available)} actions of method '
                               f'{grounder.method} on {self.pipeline.device} '
                               f'({grounder.backend} {grounder.precision})')
        return SUCCESS

    def check_startup(self, p: Dict[str, Any], available: Tuple[str, ...]) -> None:
        """Raise ValueError naming the first parameter the loaded model cannot take."""
        for name, value in p.items():
            reason = parameter_error(name, value, available)
            if reason:
                raise ValueError(f'parameter {reason}')
        if p['use_depth'] and p['camera_names']:
            raise ValueError(f'use_depth needs a single camera; got camera_names '
                             f'{p["camera_names"]!r} (leave camera_names empty to use depth)')

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Create the publishers and subscriptions; start grounding."""
        p = self.parameters()
        self.ensure_publishers(self.pipeline.settings, p)
        self.inputs = self.subscribe(p)
        self.pipeline.start()
        self.get_logger().info('grounding ' + ', '.join(
            repr(action) for action in self.pipeline.settings.grounded_actions))
        return SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop grounding, remove subscriptions and publishers, free accelerator memory."""
        self.pipeline.stop()
        for entity in self.inputs:
            self.destroy_subscription(getattr(entity, 'sub', entity))
        for publisher in self.publishers_by_name.values():
            self.destroy_publisher(publisher)
        self.inputs, self.publishers_by_name = [], {}
        return SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Drop the model, the service and the diagnostics."""
        self.destroy_timer(self.timer)
        self.destroy_service(self.service)
        self.ground_server.destroy()
        self.destroy_publisher(self.diagnostics_pub)
        self.tf.close()
        self.pipeline = None
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """From any state: stop grounding and drop the model."""
        if state.label == 'active':
            self.on_deactivate(state)
        if state.label in ('active', 'inactive'):
            self.on_cleanup(state)
        return SUCCESS

    def subscribe(self, p: Dict[str, Any]) -> List[Any]:
        """Subscribe to the images; with depth, colour + depth + camera_info synchronised."""
        qos = image_qos(p['image_qos'])
        image_type, image_topic = ((CompressedImage, 'image/compressed')
                                   if p['image_transport'] == 'compressed' else (Image, 'image'))
        if not p['use_depth']:
            return [self.create_subscription(image_type, output_name(image_topic, camera=camera),
                                             partial(self.pipeline.submit, camera=camera), qos,
                                             event_callbacks=self._lost_events(camera))
                    for camera in self.pipeline.cameras]
        inputs = [Subscriber(self, image_type, image_topic, qos_profile=qos,
                             event_callbacks=self._lost_events(SINGLE_CAMERA)),
                  Subscriber(self, Image, 'depth', qos_profile=qos),
                  Subscriber(self, CameraInfo, 'camera_info', qos_profile=10)]
        synchroniser = ApproximateTimeSynchronizer(inputs, queue_size=10,
                                                   slop=p['depth_tolerance_s'])
        synchroniser.registerCallback(self._on_synchronised)
        inputs[0].registerCallback(lambda image: self.depth_wait.colour(stamp_key(image)))
        return inputs

    def _on_synchronised(self, image: Any, depth: Image, info: CameraInfo) -> None:
        self.depth_wait.matched(stamp_key(image))
        self.pipeline.submit(image, depth=depth, camera_info=info)

    def _lost_events(self, camera: str) -> SubscriptionEventCallbacks:
        """Count the frames the middleware reports lost before `camera`'s subscription."""
        def lost(info: QoSMessageLostInfo) -> None:
            self.frames_lost[camera] = self.frames_lost.get(camera, 0) + info.total_count_change
        return SubscriptionEventCallbacks(message_lost=lost)

    def ensure_publishers(self, settings: Settings, p: Dict[str, Any]) -> None:
        """Create the output publishers `settings` needs that do not exist yet."""
        actions = settings.grounded_actions
        kinds = [kind for kind in OUTPUT_TYPES if p['use_depth'] or kind not in DEPTH_KINDS]
        for camera in self.pipeline.cameras:
            for action in actions:
                for kind in kinds:
                    name = output_name(kind, action, camera, len(actions) > 1)
                    if name not in self.publishers_by_name:
                        qos = output_qos(p['output_qos']) if OUTPUT_TYPES[kind] is Image else 10
                        self.publishers_by_name[name] = self.create_publisher(
                            OUTPUT_TYPES[kind], '~/' + name, qos)

    def _warn(self, text: str) -> None:
        if self.context.ok():  # after Ctrl-C rclpy has shut the context, and /rosout with it
            self.limited_warning(text)

    def _publish(self, grounding: Grounding) -> Dict[str, float]:
        """Publish a grounding's outputs; return the ms spent making them and publishing."""
        if not self.context.ok():  # shutting down: a frame in flight has nowhere to go
            return {}
        several = len(grounding.results) > 1

        def publisher(action: str, kind: str):
            return self.publishers_by_name[output_name(kind, action, grounding.camera, several)]

        def wants(action: str, kind: str) -> bool:
            return kind != 'overlay' or publisher(action, kind).get_subscription_count() > 0

        spent = {'images': 0.0, 'publish': 0.0}
        messages = grounding_messages(self.builder, grounding, wants)
        while True:
            start = time.perf_counter()
            item = next(messages, None)
            made = time.perf_counter()
            spent['images'] += (made - start) * 1000.0
            if item is None:
                return spent
            action, kind, message = item
            publisher(action, kind).publish(message)
            spent['publish'] += (time.perf_counter() - made) * 1000.0

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        for parameter in parameters:
            reason = parameter_error(parameter.name, parameter.value, self.available) if \
                self.pipeline is not None or parameter.name not in ('action', 'actions') else None
            if self.pipeline is not None:
                reason = reason or unconfigured_only_error(parameter.name)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        if self.pipeline is not None:
            settings = self.pipeline.settings.updated({p.name: p.value for p in parameters})
            if self.publishers_by_name:
                self.ensure_publishers(settings, self.parameters())
            self.pipeline.settings = settings
        return SetParametersResult(successful=True, reason='')

    def _on_set_affordance(self, request, response):
        actions = list(request.actions) or [request.action]
        changes = ([Parameter('actions', Parameter.Type.STRING_ARRAY, actions)] if request.actions
                   else [Parameter('action', Parameter.Type.STRING, request.action),
                         Parameter('actions', Parameter.Type.STRING_ARRAY, [])])
        result = self.set_parameters_atomically(changes)
        response.success = result.successful
        response.message = result.reason or 'grounding ' + ', '.join(map(repr, actions))
        response.available = list(self.available)
        self.get_logger().info(f'set_affordance {actions!r}: {response.message}')
        return response

    def _publish_diagnostics(self) -> None:
        self._check_depth_wait()
        counts, settings = self.pipeline.counts(), self.pipeline.settings
        ok, message = diagnostic_summary(counts, settings.stream)
        device = self.pipeline.device
        values = diagnostic_values(counts, device, ', '.join(settings.grounded_actions),
                                   settings.stream, self.depth_wait.waited)
        values += lost_values(self.frames_lost) + camera_values(self.pipeline.camera_counts())
        values += stage_values(self.pipeline.stage_medians())
        self.diagnostics_pub.publish(self.builder.diagnostics(
            self.get_clock().now().to_msg(), f'{self.get_name()}: grounding', ok, message,
            device, values))

    def _check_depth_wait(self) -> None:
        late = self.depth_wait.expire()
        if late and self.inputs and self.depth_wait.stalled():
            image, depth, info = (entity.sub.topic_name for entity in self.inputs)
            self._warn(f'{late} colour frame(s) on {image} waited over '
                       f'{self.depth_wait.wait_s:g} s for a depth image on {depth} and a '
                       f'camera_info on {info} within depth_tolerance_s of their stamp; is the '
                       'depth camera running and remapped to depth / camera_info?')

    def destroy_node(self) -> None:
        """Stop the worker, then the node."""
        if self.pipeline is not None:
            self.pipeline.stop()
        super().destroy_node()


def main(args=None) -> int:
    """Run the node until Ctrl-C or shutdown; exit 1 with the reason on a startup error."""
    return run_node(GroundingNode, args, START_HINT)


if __name__ == '__main__':
    sys.exit(main())
