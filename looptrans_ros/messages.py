"""The node's output messages built from grounding results, for any message library.

Message classes are passed in, so the same code fills rclpy messages in the node and rosbags
messages in the bag tool. Images, peaks and points fill every field; markers and diagnostics
rely on the library's field defaults.
"""
import array
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from looptrans_core import Peak
from looptrans_ros.image_codec import encode_image
from looptrans_ros.projection import Point3

MARKER_LIFETIME_NS = 500_000_000
MARKER_DIAMETER_M = (0.01, 0.05)
"""Sphere diameter of a peak of score 0 and of score 1."""


def peak_values(peaks: Sequence[Peak], positions: Optional[Sequence[Optional[Point3]]] = None,
                ) -> List[Tuple[float, float, float, bool, Point3]]:
    """(u, v, score, has_position, position) of each peak; position (0, 0, 0) when unknown."""
    positions = positions if positions is not None else [None] * len(peaks)
    return [(float(p.u), float(p.v), float(p.score), xyz is not None, xyz or (0.0, 0.0, 0.0))
            for p, xyz in zip(peaks, positions)]


def byte_array(data: Any) -> array.array:
    """Copy a bytes-like object once into the array.array an rclpy uint8[] field keeps as is."""
    values = array.array('B')
    values.frombytes(data)
    return values


class MessageBuilder:
    """Builds messages from results with the message classes of one library.

    Args:
        types: message classes by short name ('Image', 'Point', 'InteractionPoint', ...).
        byte_sequence: turns bytes into the value a uint8[] field takes (array.array for
            rclpy, a numpy array for rosbags).

    Output images are always built by the codec, not cv_bridge: the codec's byte view is copied
    once (by `byte_sequence`), where cv_bridge's Python layer copies twice (`tobytes`, then
    `frombytes`); the values are the same (test/ros/test_conversion.py).
    """

    def __init__(self, types: Mapping[str, Any], byte_sequence: Callable[[bytes], Any]) -> None:
        self.types = types
        self.byte_sequence = byte_sequence

    def image(self, header: Any, pixels: np.ndarray, encoding: str) -> Any:
        """sensor_msgs/Image of an array laid out as `encoding`, with `header`."""
        fields = encode_image(pixels, encoding)
        return self.types['Image'](header=header, height=fields.height, width=fields.width,
                                   encoding=fields.encoding, is_bigendian=fields.is_bigendian,
                                   step=fields.step, data=self.byte_sequence(fields.data))

    def heatmap(self, header: Any, heatmap: np.ndarray) -> Any:
        """32FC1 heat map image at the input resolution."""
        return self.image(header, heatmap.astype(np.float32, copy=False), '32FC1')

    def point(self, xyz: Point3) -> Any:
        """geometry_msgs/Point."""
        return self.types['Point'](x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))

    def peaks(self, header: Any, action: str, peaks: Sequence[Peak],
              positions: Optional[Sequence[Optional[Point3]]] = None) -> Any:
        """looptrans_interfaces/AffordancePeaks, best peak first."""
        points = [self.types['InteractionPoint'](u=u, v=v, score=score, has_position=has,
                                                 position=self.point(xyz))
                  for u, v, score, has, xyz in peak_values(peaks, positions)]
        return self.types['AffordancePeaks'](header=header, action=action, points=points)

    def point_stamped(self, header: Any, xyz: Point3) -> Any:
        """geometry_msgs/PointStamped of the best peak."""
        return self.types['PointStamped'](header=header, point=self.point(xyz))

    def markers(self, header: Any, action: str, peaks: Sequence[Peak],
                positions: Sequence[Optional[Point3]]) -> Any:
        """visualization_msgs/MarkerArray: a DELETEALL, then a sphere per located peak."""
        marker_cls = self.types['Marker']
        markers = [marker_cls(header=header, ns=action, action=marker_cls.DELETEALL)]
        low, high = MARKER_DIAMETER_M
        for index, (peak, xyz) in enumerate(zip(peaks, positions)):
            if xyz is None:
                continue
            size = low + (high - low) * float(peak.score)
            markers.append(marker_cls(
                header=header, ns=action, id=index, type=marker_cls.SPHERE, action=marker_cls.ADD,
                pose=self.types['Pose'](position=self.point(xyz),
                                        orientation=self.types['Quaternion'](w=1.0)),
                scale=self.types['Vector3'](x=size, y=size, z=size),
                color=self.types['ColorRGBA'](r=1.0, g=float(1.0 - peak.score), b=0.0, a=0.9),
                lifetime=self.types['Duration'](sec=0, nanosec=MARKER_LIFETIME_NS)))
        return self.types['MarkerArray'](markers=markers)

    def diagnostics(self, stamp: Any, name: str, ok: bool, message: str, hardware_id: str,
                    values: Sequence[Tuple[str, str]]) -> Any:
        """diagnostic_msgs/DiagnosticArray holding one status."""
        status_cls = self.types['DiagnosticStatus']
        status = status_cls(level=status_cls.OK if ok else status_cls.WARN, name=name,
                            message=message, hardware_id=hardware_id,
                            values=[self.types['KeyValue'](key=k, value=v) for k, v in values])
        header = self.types['Header'](stamp=stamp, frame_id='')
        return self.types['DiagnosticArray'](header=header, status=[status])
