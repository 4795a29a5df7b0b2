"""Launch the LoopTrans grounding node, optionally a synthetic camera and RViz.

ros2 launch looptrans_ros grounding.launch.py image_topic:=/my/camera
ros2 launch looptrans_ros grounding.launch.py use_sim_camera:=true
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

ARGUMENTS = [
    ('image_topic', '/camera/image_raw', 'camera image topic (sensor_msgs/Image); with '
     'image_transport compressed, <image_topic>/compressed is used'),
    ('checkpoint', '', 'model checkpoint (.safetensors or published .pth); empty = demo model'),
    ('action', 'hold', 'affordance to ground at start; change with /set_affordance'),
    ('device', 'auto', "'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ('params_file', 'config/grounding.yaml', 'node parameter YAML; the default is the one '
     'installed in the package share folder'),
    ('namespace', '', 'namespace of the grounding node'),
    ('use_depth', 'false', 'subscribe depth + camera_info and publish 3D peaks'),
    ('depth_topic', '/camera/depth/image_rect_raw', 'depth aligned to the colour image'),
    ('camera_info_topic', '/camera/camera_info', 'camera_info of the colour image'),
    ('use_rviz', 'true', 'start RViz with config/looptrans.rviz'),
    ('use_sim_camera', 'false', 'start synthetic_camera and ground its frames'),
]


def in_share(share: str, default: str) -> str:
    """Return a default under config/ as a path in the package share folder."""
    return os.path.join(share, default) if default.startswith('config/') else default


def generate_launch_description() -> LaunchDescription:
    """Declare the arguments, then the grounding node, the synthetic camera and RViz."""
    share = get_package_share_directory('looptrans_ros')
    config = {name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS}
    declared = [DeclareLaunchArgument(name, default_value=in_share(share, default),
                                      description=description)
                for name, default, description in ARGUMENTS]
    grounding = Node(
        package='looptrans_ros', executable='grounding_node', name='looptrans_grounding',
        namespace=config['namespace'], output='screen',
        parameters=[config['params_file'], {
            'checkpoint': ParameterValue(config['checkpoint'], value_type=str),
            'action': ParameterValue(config['action'], value_type=str),
            'device': ParameterValue(config['device'], value_type=str),
            'use_depth': ParameterValue(config['use_depth'], value_type=bool),
        }],
        remappings=[('image', config['image_topic']),
                    ('image/compressed', [config['image_topic'], '/compressed']),
                    ('depth', config['depth_topic']),
                    ('camera_info', config['camera_info_topic'])])
    camera = Node(
        package='looptrans_ros', executable='synthetic_camera', name='synthetic_camera',
        output='screen', condition=IfCondition(config['use_sim_camera']),
        remappings=[('image', config['image_topic']),
                    ('camera_info', config['camera_info_topic'])])
    rviz = Node(
        package='rviz2', executable='rviz2', name='rviz2',
        arguments=['-d', os.path.join(share, 'config', 'looptrans.rviz')],
        condition=IfCondition(config['use_rviz']))
    return LaunchDescription(declared + [grounding, camera, rviz])
