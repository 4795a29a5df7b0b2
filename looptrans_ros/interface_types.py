"""Our message definitions for rosbags, so bag tools need no ROS install.

The field lines equal looptrans_interfaces/msg/*.msg (a test keeps them in step).
"""
from rosbags.typesys import get_types_from_msg
from rosbags.typesys.store import Typestore

MESSAGE_DEFINITIONS = {
    'looptrans_interfaces/msg/InteractionPoint': (
        'float32 u\nfloat32 v\nfloat32 score\nbool has_position\ngeometry_msgs/Point position\n'
        'bool has_approach\ngeometry_msgs/Vector3 approach\n'),
    'looptrans_interfaces/msg/AffordancePeaks': (
        'std_msgs/Header header\nstring action\nstring position_frame\n'
        'InteractionPoint[] points\n'),
}


def register_interfaces(typestore: Typestore) -> Typestore:
    """Register AffordancePeaks and InteractionPoint in a rosbags typestore and return it."""
    types = {}
    for name, text in MESSAGE_DEFINITIONS.items():
        types.update(get_types_from_msg(text, name))
    typestore.register(types)
    return typestore
