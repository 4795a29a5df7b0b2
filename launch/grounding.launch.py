"""Launch the LoopTrans grounding node, optionally a synthetic camera and RViz.

ros2 launch looptrans_ros grounding.launch.py image_topic:=/my/camera
ros2 launch looptrans_ros grounding.launch.py use_sim_camera:=true use_rviz:=false

The node's parameters come from `params_file` (default: the package's config/grounding.yaml);
the parameter arguments below override it only when given. With autostart:=false the node
waits, unconfigured, for `ros2 lifecycle set /looptrans_grounding configure` then `activate`.
With use_sim_camera:=true the synthetic camera's depth goes to depth_topic, and the camera
broadcasts its pose as the static transform base_link -> camera_optical_frame
(looptrans_ros.camera_pose.SIM_CAMERA_POSE: 0.75 m above the table, 50 degrees down).
SIGTERM to `ros2 launch` (docker stop, systemd) shuts down as Ctrl-C does (launch_sigterm).
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from looptrans_ros.launch_sigterm import shut_down_on_sigterm

GIVEN_ONLY = "the params file's value unless given"
ARGUMENTS = [
    ('image_topic', '/camera/image_raw', 'camera image topic (sensor_msgs/Image); with '
     'image_transport compressed, <image_topic>/compressed is used'),
    ('checkpoint', '', 'model checkpoint (.safetensors, or a published LoopTrans or LOCATE '
     f'.pth); {GIVEN_ONLY}'),
    ('action', '', f'affordance to ground at start; {GIVEN_ONLY}'),
    ('device', '', f"'auto', 'cpu', 'cuda' or 'cuda:N'; {GIVEN_ONLY}"),
    ('backend', '', f"'torch' or 'openvino' (CPU); {GIVEN_ONLY}"),
    ('precision', '', f'torch: fp32, bf16, fp16; openvino: fp32, bf16, int8; {GIVEN_ONLY}'),
    ('calibration', '', f'openvino int8: a folder of camera images; {GIVEN_ONLY}'),
    ('threads', '', f'CPU inference threads; {GIVEN_ONLY}'),
    ('use_depth', '', f'true: synchronise depth + camera_info, publish 3D peaks; {GIVEN_ONLY}'),
    ('autostart', '', f'false: a managed node, driven by ros2 lifecycle; {GIVEN_ONLY}'),
    ('target_frame', '', f'tf2 frame of the 3D outputs, e.g. base_link; {GIVEN_ONLY}'),
    ('transform_timeout_s', '', f'longest wait for that transform, s; {GIVEN_ONLY}'),
    ('cloud_threshold', '', f'lowest heat of a ~/cloud pixel; {GIVEN_ONLY}'),
    ('cloud_stride', '', f'every n-th pixel into ~/cloud; {GIVEN_ONLY}'),
    ('stream', '', f'false: ground only ~/ground action goals; {GIVEN_ONLY}'),
    ('params_file', PathJoinSubstitution([FindPackageShare('looptrans_ros'), 'config',
                                          'grounding.yaml']), 'node parameter YAML'),
    ('namespace', '', 'namespace of the grounding node (and of its set_affordance service)'),
    ('depth_topic', '/camera/depth/image_rect_raw', 'depth aligned to the colour image'),
    ('camera_info_topic', '/camera/camera_info', 'camera_info of the colour image'),
    ('use_rviz', 'true', 'start RViz with config/looptrans.rviz'),
    ('use_sim_camera', 'false', 'start synthetic_camera (colour + depth) and its static '
     'transform base_link -> camera_optical_frame, and ground its frames'),
]


def as_bool(text: str) -> bool:
    """Read a launch argument's text as a bool parameter: 'true' (any case) or not."""
    return text.lower() == 'true'


PARAMETER_ARGUMENTS = {'checkpoint': str, 'action': str, 'device': str, 'backend': str,
                       'precision': str, 'calibration': str, 'threads': int,
                       'use_depth': as_bool,
                       'autostart': as_bool,
                       'target_frame': str, 'transform_timeout_s': float,
                       'cloud_threshold': float, 'cloud_stride': int,
                       'stream': as_bool}
"""Launch arguments that set node parameters, and how their text becomes the value."""


def given_parameters(context) -> dict:
    """Return the parameter arguments the user gave (non-empty), as typed values."""
    values = {name: LaunchConfiguration(name).perform(context) for name in PARAMETER_ARGUMENTS}
    return {name: PARAMETER_ARGUMENTS[name](text) for name, text in values.items() if text}


def grounding_node(context) -> list:
    """Return the grounding node: the params file, then only the arguments given."""
    overrides = given_parameters(context)
    config = {name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS}
    return [Node(
        package='looptrans_ros', executable='grounding_node', name='looptrans_grounding',
        namespace=config['namespace'], output='screen',
        parameters=[config['params_file']] + ([overrides] if overrides else []),
        remappings=[('image', config['image_topic']),
                    ('image/compressed', [config['image_topic'], '/compressed']),
                    ('depth', config['depth_topic']),
                    ('camera_info', config['camera_info_topic'])])]


def generate_launch_description() -> LaunchDescription:
    """Declare the arguments, then the grounding node, the synthetic camera and RViz."""
    config = {name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS}
    declared = [DeclareLaunchArgument(name, default_value=default, description=description)
                for name, default, description in ARGUMENTS]
    camera = Node(
        package='looptrans_ros', executable='synthetic_camera', name='synthetic_camera',
        output='screen', condition=IfCondition(config['use_sim_camera']),
        remappings=[('image', config['image_topic']), ('depth', config['depth_topic']),
                    ('camera_info', config['camera_info_topic'])])
    rviz = Node(
        package='rviz2', executable='rviz2', name='rviz2',
        arguments=['-d', PathJoinSubstitution([FindPackageShare('looptrans_ros'), 'config',
                                               'looptrans.rviz'])],
        condition=IfCondition(config['use_rviz']))
    return LaunchDescription([OpaqueFunction(function=shut_down_on_sigterm)] + declared + [
        OpaqueFunction(function=grounding_node), camera, rviz])
