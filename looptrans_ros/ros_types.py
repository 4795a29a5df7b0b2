"""The rclpy side of the node: message classes for MessageBuilder, QoS, parameter descriptors."""
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point, PointStamped, Pose, PoseArray, Quaternion, Vector3
from looptrans_interfaces.msg import AffordancePeaks, InteractionPoint
from rcl_interfaces.msg import ParameterDescriptor, ParameterType
from rclpy.qos import HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, PointCloud2, PointField
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

MESSAGE_TYPES = {cls.__name__: cls for cls in (
    AffordancePeaks, ColorRGBA, DiagnosticArray, DiagnosticStatus, Duration, Header, Image,
    InteractionPoint, KeyValue, Marker, MarkerArray, Point, PointCloud2, PointField, PointStamped,
    Pose, PoseArray, Quaternion, Vector3)}
RELIABILITY = {'best_effort': ReliabilityPolicy.BEST_EFFORT,
               'reliable': ReliabilityPolicy.RELIABLE}


def image_qos(name: str) -> QoSProfile:
    """Return the subscription QoS named by the `image_qos` parameter."""
    if name == 'sensor_data':
        return qos_profile_sensor_data
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=RELIABILITY[name])


def output_qos(name: str) -> QoSProfile:
    """Return the QoS of the heat map and overlay publishers (`output_qos`): depth 1."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=RELIABILITY[name])


def descriptor(spec) -> ParameterDescriptor:
    """Return the ParameterDescriptor of a ParameterSpec.

    rclpy types an empty-list default as a byte array, so the string-array parameters are
    declared with dynamic_typing (the checks in parameters.py still refuse non-string lists).
    """
    if isinstance(spec.default, list):
        return ParameterDescriptor(description=spec.description, read_only=spec.read_only,
                                   type=ParameterType.PARAMETER_STRING_ARRAY,
                                   dynamic_typing=True)
    return ParameterDescriptor(description=spec.description, read_only=spec.read_only)
