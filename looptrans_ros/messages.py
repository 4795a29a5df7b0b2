"""The node's output messages built from grounding results, for any message library.

Message classes are passed in, so the same code fills rclpy messages in the node and rosbags
messages in the bag tool. Images, peaks and points fill every field; markers and diagnostics
rely on the library's field defaults.
"""
import array
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from looptrans_core import Peak
from looptrans_ros.approach import Approach
from looptrans_ros.image_codec import encode_image
from looptrans_ros.projection import Point3
from looptrans_ros.spatial import Spatial

MARKER_LIFETIME_NS = 500_000_000
MARKER_DIAMETER_M = (0.01, 0.05)
"""Sphere diameter of a peak of score 0 and of score 1."""
ARROW_LENGTH_M = 0.1
"""Length of a marker arrow that ends at a peak, pointing along its approach."""
ARROW_SIZE_M = (0.008, 0.016, 0.03)
"""Shaft diameter, head diameter and head length of an approach arrow."""
FLOAT32 = 7
"""sensor_msgs/PointField.FLOAT32."""
CLOUD_FIELDS = ('x', 'y', 'z', 'heat')
"""The fields of ~/cloud, each a little-endian float32, in this order."""
ZERO = (0.0, 0.0, 0.0)

PeakValues = Tuple[float, float, float, bool, Point3, bool, Point3]


def peak_values(peaks: Sequence[Peak], spatial: Optional[Spatial] = None) -> List[PeakValues]:
    """(u, v, score, has_position, position, has_approach, approach) of each peak.

    Unknown positions and approaches are (0, 0, 0) with their flag false.
    """
    positions = spatial.positions if spatial else [None] * len(peaks)
    approaches = spatial.approaches if spatial else [None] * len(peaks)
    return [(float(p.u), float(p.v), float(p.score), xyz is not None, xyz or ZERO,
             a is not None, ZERO if a is None else tuple(float(x) for x in a.z_axis))
            for p, xyz, a in zip(peaks, positions, approaches)]


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

    def point(self, xyz: Sequence[float]) -> Any:
        """geometry_msgs/Point."""
        return self.types['Point'](x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))

    def vector(self, xyz: Sequence[float]) -> Any:
        """geometry_msgs/Vector3."""
        return self.types['Vector3'](x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))

    def in_frame(self, header: Any, spatial: Spatial) -> Any:
        """Return the image's header with the frame of the 3D outputs."""
        return self.types['Header'](stamp=header.stamp, frame_id=spatial.frame_id)

    def peaks(self, header: Any, action: str, peaks: Sequence[Peak],
              spatial: Optional[Spatial] = None) -> Any:
        """looptrans_interfaces/AffordancePeaks, best peak first; the image's header."""
        points = [self.types['InteractionPoint'](
            u=u, v=v, score=score, has_position=has_position, position=self.point(xyz),
            has_approach=has_approach, approach=self.vector(approach))
            for u, v, score, has_position, xyz, has_approach, approach
            in peak_values(peaks, spatial)]
        frame = spatial.frame_id if spatial else header.frame_id
        return self.types['AffordancePeaks'](header=header, action=action,
                                             position_frame=frame, points=points)

    def point_stamped(self, header: Any, xyz: Point3) -> Any:
        """geometry_msgs/PointStamped of the best peak, `header` in the 3D frame."""
        return self.types['PointStamped'](header=header, point=self.point(xyz))

    def pose(self, approach: Approach) -> Any:
        """geometry_msgs/Pose at the approach's point, z axis along it."""
        x, y, z, w = approach.quaternion()
        return self.types['Pose'](position=self.point(approach.position),
                                  orientation=self.types['Quaternion'](x=x, y=y, z=z, w=w))

    def poses(self, header: Any, spatial: Spatial) -> Any:
        """geometry_msgs/PoseArray: a pose per peak with an approach, best first."""
        return self.types['PoseArray'](header=self.in_frame(header, spatial), poses=[
            self.pose(a) for a in spatial.approaches if a is not None])

    def cloud(self, header: Any, spatial: Spatial) -> Any:
        """sensor_msgs/PointCloud2 of the hot pixels: float32 x, y, z, heat, one row.

        Filled here rather than by sensor_msgs_py.point_cloud2.create_cloud, which builds
        rclpy messages only: the bag tool writes rosbags messages with the same code (the node
        tests read the cloud back with sensor_msgs_py).
        """
        points = np.ascontiguousarray(spatial.cloud, dtype='<f4')
        field_cls = self.types['PointField']
        fields = [field_cls(name=name, offset=4 * index, datatype=FLOAT32, count=1)
                  for index, name in enumerate(CLOUD_FIELDS)]
        step = 4 * len(CLOUD_FIELDS)
        return self.types['PointCloud2'](
            header=self.in_frame(header, spatial), height=1, width=len(points), fields=fields,
            is_bigendian=False, point_step=step, row_step=step * len(points),
            data=self.byte_sequence(points.tobytes()), is_dense=True)

    def markers(self, header: Any, action: str, peaks: Sequence[Peak],
                spatial: Spatial) -> Any:
        """visualization_msgs/MarkerArray: a DELETEALL, a sphere per located peak, an arrow each.

        The arrow of a peak with an approach ends at the peak, pointing along the approach.
        """
        marker_cls = self.types['Marker']
        header = self.in_frame(header, spatial)
        markers = [marker_cls(header=header, ns=action, action=marker_cls.DELETEALL)]
        low, high = MARKER_DIAMETER_M
        for index, (peak, xyz) in enumerate(zip(peaks, spatial.positions)):
            if xyz is None:
                continue
            size = low + (high - low) * float(peak.score)
            markers.append(self._marker(header, action, index, marker_cls.SPHERE, peak,
                                        pose=self.types['Pose'](
                                            position=self.point(xyz),
                                            orientation=self.types['Quaternion'](w=1.0)),
                                        scale=self.vector((size, size, size))))
        for index, (peak, approach) in enumerate(zip(peaks, spatial.approaches)):
            if approach is not None:
                start = np.asarray(approach.position) - ARROW_LENGTH_M * approach.z_axis
                markers.append(self._marker(
                    header, f'{action}/approach', index, marker_cls.ARROW, peak,
                    points=[self.point(start), self.point(approach.position)],
                    pose=self.types['Pose'](orientation=self.types['Quaternion'](w=1.0)),
                    scale=self.vector(ARROW_SIZE_M)))
        return self.types['MarkerArray'](markers=markers)

    def _marker(self, header: Any, ns: str, index: int, kind: int, peak: Peak,
                **fields: Any) -> Any:
        """One ADD marker coloured by the peak's score (red = 1, yellow = 0)."""
        marker_cls = self.types['Marker']
        return marker_cls(
            header=header, ns=ns, id=index, type=kind, action=marker_cls.ADD,
            color=self.types['ColorRGBA'](r=1.0, g=float(1.0 - peak.score), b=0.0, a=0.9),
            lifetime=self.types['Duration'](sec=0, nanosec=MARKER_LIFETIME_NS), **fields)

    def diagnostics(self, stamp: Any, name: str, ok: bool, message: str, hardware_id: str,
                    values: Sequence[Tuple[str, str]]) -> Any:
        """diagnostic_msgs/DiagnosticArray holding one status."""
        status_cls = self.types['DiagnosticStatus']
        status = status_cls(level=status_cls.OK if ok else status_cls.WARN, name=name,
                            message=message, hardware_id=hardware_id,
                            values=[self.types['KeyValue'](key=k, value=v) for k, v in values])
        header = self.types['Header'](stamp=stamp, frame_id='')
        return self.types['DiagnosticArray'](header=header, status=[status])
