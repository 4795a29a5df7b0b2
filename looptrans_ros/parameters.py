"""The node's parameters: defaults, descriptions and the validation the service shares."""
from dataclasses import dataclass
import re
from typing import Any, Callable, Dict, List, Optional, Sequence

from looptrans_core import (backend_precisions_text, BACKENDS, COLORMAPS, device_spec_error,
                            INFERENCE_PRECISIONS,
                            overlay_settings_error, peak_settings_error)

IMAGE_QOS = ('best_effort', 'reliable', 'sensor_data')
OUTPUT_QOS = ('best_effort', 'reliable')
IMAGE_TRANSPORTS = ('raw', 'compressed')
DEFAULT_ACTION = 'hold'

CAMERA_NAME = re.compile(r'[A-Za-z][A-Za-z0-9_]*')
"""A camera name is one ROS name token: it prefixes the camera's topics."""

Check = Callable[[Any], Optional[str]]


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: its default (which fixes its type), what it means, and its check.

    Attributes:
        name: parameter name.
        default: default value; the parameter keeps this Python type.
        description: shown by `ros2 param describe`.
        read_only: only settable at start-up (launch file, YAML).
        at_configure: read at configure, so settable only while the node is unconfigured
            (e.g. a checkpoint fixed after a failed configure, without a restart).
        check: returns a reason when a value is refused, else None.
    """

    name: str
    default: Any
    description: str
    read_only: bool = False
    at_configure: bool = False
    check: Optional[Check] = None


def one_of(choices: Sequence[str]) -> Check:
    """Check that a value is one of `choices`."""
    return lambda value: None if value in choices else (
        f'{value!r} is not one of {", ".join(choices)}')


def at_least(low: float) -> Check:
    """Check that a number is >= `low`."""
    return lambda value: None if value >= low else f'{value} is below the minimum {low}'


def positive(value: float) -> Optional[str]:
    """Check that a number is > 0."""
    return None if value > 0 else f'{value} is not positive'


def unit_interval(value: float) -> Optional[str]:
    """Check that a number is in [0, 1]."""
    return None if 0.0 <= value <= 1.0 else f'{value} is outside [0, 1]'


def camera_names(value: List[str]) -> Optional[str]:
    """Check camera names: distinct ROS name tokens (letters, digits, '_'; a letter first)."""
    bad = [name for name in value if not isinstance(name, str) or not CAMERA_NAME.fullmatch(name)]
    if bad:
        return f'{bad!r} are not names of letters, digits and _ starting with a letter'
    if len(set(value)) != len(value):
        return f'{value!r} repeats a name'
    return None


def names_list(value: List[str]) -> Optional[str]:
    """Check a list of names: strings, no repeats (which names exist is the model's to say)."""
    if not all(isinstance(name, str) for name in value):
        return f'{value!r} is not a list of strings'
    if len(set(value)) != len(value):
        return f'{value!r} repeats a name'
    return None


SPECS = (
    ParameterSpec('checkpoint', '', 'published LoopTrans or LOCATE .pth, or our .safetensors '
                  'checkpoint; empty = the bundled demo model (synthetic data, not for real use); '
                  'settable while unconfigured, read at configure', at_configure=True),
    ParameterSpec('device', 'auto', "'auto', 'cpu', 'cuda' or 'cuda:N'; no CUDA -> CPU with a "
                  'warning', read_only=True, check=device_spec_error),
    ParameterSpec('backend', 'torch', "'torch' (CPU or CUDA) or 'openvino' (CPU; the network is "
                  'converted on first start and cached)', read_only=True, check=one_of(BACKENDS)),
    ParameterSpec('precision', 'fp32', f'inference precision ({backend_precisions_text()})',
                  read_only=True, check=one_of(INFERENCE_PRECISIONS)),
    ParameterSpec('calibration', '', 'openvino int8: a folder of images to calibrate on; empty '
                  '= synthetic scenes', read_only=True),
    ParameterSpec('threads', 0, 'CPU inference threads (torch, OpenVINO); 0 = their default',
                  read_only=True, check=at_least(0)),
    ParameterSpec('autostart', True, 'configure and activate at start; false = a managed node '
                  'that waits for `ros2 lifecycle set`', read_only=True),
    ParameterSpec('action', DEFAULT_ACTION, 'affordance to ground when `actions` is empty; also '
                  'set by the set_affordance service'),
    ParameterSpec('actions', [], 'several affordances, grounded from one forward pass each '
                  'frame and published on ~/<action>/heatmap, ...; empty = `action` alone on '
                  '~/heatmap, ...', check=names_list),
    ParameterSpec('image_qos', 'best_effort', f'image subscription QoS: {", ".join(IMAGE_QOS)}',
                  read_only=True, check=one_of(IMAGE_QOS)),
    ParameterSpec('image_transport', 'raw', "'raw' (image) or 'compressed' (image/compressed)",
                  read_only=True, check=one_of(IMAGE_TRANSPORTS)),
    ParameterSpec('camera_names', [], "cameras served together, e.g. ['left', 'right']: each "
                  'subscribes <name>/image and publishes ~/<name>/heatmap ...; frames of all '
                  'cameras are grounded in one forward; empty = one camera on image',
                  read_only=True, check=camera_names),
    ParameterSpec('output_qos', 'best_effort', 'QoS of the heat map and overlay images: '
                  'best_effort (depth 1; a slow subscriber misses frames instead of holding '
                  'the node back) or reliable (depth 1)', read_only=True,
                  check=one_of(OUTPUT_QOS)),
    ParameterSpec('max_rate_hz', 0.0, 'most inference runs per second; 0 = as frames come',
                  check=at_least(0.0)),
    ParameterSpec('max_image_pixels', 50_000_000, 'largest frame decoded (width x height); a '
                  'compressed frame whose header declares more is refused before decoding',
                  check=at_least(1)),
    ParameterSpec('num_peaks', 3, 'interaction points per heat map, best first',
                  check=lambda value: peak_settings_error(num_peaks=value)),
    ParameterSpec('peak_threshold', 0.5, 'lowest heat-map value of a peak, in [0, 1]',
                  check=lambda value: peak_settings_error(threshold=value)),
    ParameterSpec('peak_min_distance', 16, 'pixels between peaks (at least 1)',
                  check=lambda value: peak_settings_error(min_distance=value)),
    ParameterSpec('overlay_alpha', 0.5, 'weight of the colour map in ~/overlay, in [0, 1]',
                  check=lambda value: overlay_settings_error(alpha=value)),
    ParameterSpec('colormap', 'jet', f'overlay colour map: {", ".join(sorted(COLORMAPS))}',
                  check=lambda value: overlay_settings_error(colormap=value)),
    ParameterSpec('use_depth', False, 'subscribe depth and camera_info; give peaks 3D positions',
                  read_only=True),
    ParameterSpec('depth_scale', 0.001, 'metres per unit of 16-bit depth images (0.001 = mm)',
                  check=positive),
    ParameterSpec('depth_tolerance_s', 0.05, 'largest colour-depth stamp difference, seconds: '
                  "the slop of message_filters' ApproximateTimeSynchronizer", read_only=True,
                  check=at_least(0.0)),
    ParameterSpec('target_frame', '', 'tf2 frame of every 3D output (positions, poses, cloud, '
                  "markers), looked up at the image's stamp; empty = the image's own frame"),
    ParameterSpec('transform_timeout_s', 0.1, "longest wait for the transform at an image's "
                  'stamp, seconds; a frame without one keeps its 2D outputs (tf_failed)',
                  check=at_least(0.0)),
    ParameterSpec('cloud_threshold', 0.5, 'lowest heat of a pixel in ~/cloud, in [0, 1]',
                  check=unit_interval),
    ParameterSpec('cloud_stride', 4, 'every cloud_stride-th pixel (rows and columns) goes into '
                  '~/cloud (at least 1)', check=at_least(1)),
    ParameterSpec('stream', True, 'ground every frame and publish it; false = only goals of the '
                  '~/ground action are grounded (no model time on the stream)'),
)
SPEC_BY_NAME: Dict[str, ParameterSpec] = {spec.name: spec for spec in SPECS}


def action_error(action: Any, available: Sequence[str]) -> Optional[str]:
    """Why `action` cannot be grounded (naming the valid ones), or None when it can."""
    if action in available:
        return None
    return f'unknown action {action!r}; valid actions: {", ".join(available)}'


def unconfigured_only_error(name: str) -> Optional[str]:
    """Why `name` cannot be set on a configured node (None when it can)."""
    spec = SPEC_BY_NAME.get(name)
    if spec is None or not spec.at_configure:
        return None
    return (f'{name} is read at configure: set it while the node is unconfigured '
            '(deactivate and clean up first), then configure')


def parameter_error(name: str, value: Any, available: Sequence[str]) -> Optional[str]:
    """Why `value` is refused for parameter `name`, or None when it is accepted."""
    if name == 'action':
        return action_error(value, available)
    if name == 'actions' and isinstance(value, list):
        unknown = next((action for action in value if action not in available), None)
        if unknown is not None:
            return action_error(unknown, available)
    spec = SPEC_BY_NAME.get(name)
    if spec is None:
        return f'unknown parameter {name!r}; known: {", ".join(SPEC_BY_NAME)}'
    if type(value) is not type(spec.default):
        return (f'{name} must be a {type(spec.default).__name__}, got '
                f'{type(value).__name__} {value!r}')
    reason = spec.check(value) if spec.check else None
    return None if reason is None else f'{name}: {reason}'
