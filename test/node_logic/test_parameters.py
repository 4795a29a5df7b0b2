"""Parameter validation shared by the service and the parameter callback."""
from pathlib import Path

import pytest
import yaml

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_ros.parameters import action_error, parameter_error, SPECS

ROOT = Path(__file__).resolve().parents[2]


def test_action_errors_name_the_valid_actions():
    assert action_error('cut', SEEN_AFFORDANCES) is None
    reason = action_error('fly', SEEN_AFFORDANCES)
    assert "unknown action 'fly'" in reason and 'cut, cut_with' in reason


@pytest.mark.parametrize('name, value, fragment', [
    ('max_rate_hz', -1.0, 'below the minimum'),
    ('max_rate_hz', 5, 'must be a float, got int'),
    ('peak_threshold', 1.5, 'threshold 1.5 is outside [0, 1]'),
    ('peak_min_distance', 0, 'min_distance 0 is below 1 pixel'),
    ('overlay_alpha', 2.0, 'overlay alpha 2.0 is outside [0, 1]'),
    ('colormap', 'rainbow', "unknown colormap 'rainbow'"),
    ('actions', ['cut', 'fly'], "unknown action 'fly'"),
    ('actions', ['cut', 'cut'], 'repeats a name'),
    ('output_qos', 'fast', 'best_effort, reliable'),
    ('image_qos', 'fast', 'best_effort, reliable, sensor_data'),
    ('device', 'tpu', "unknown device 'tpu'; expected 'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ('depth_scale', 0.0, 'not positive'),
    ('use_depth', 1, 'must be a bool'),
    ('camera_names', ['left', 'left'], 'repeats a name'),
    ('camera_names', ['left', 'a/b'], "['a/b'] are not names of letters"),
    ('speed', 1.0, 'unknown parameter'),
])
def test_bad_values_are_refused_with_a_reason(name, value, fragment):
    assert fragment in parameter_error(name, value, SEEN_AFFORDANCES)


def test_defaults_are_valid_and_match_the_yaml():
    for spec in SPECS:
        assert parameter_error(spec.name, spec.default, SEEN_AFFORDANCES) is None, spec.name
    config = yaml.safe_load((ROOT / 'config' / 'grounding.yaml').read_text())
    parameters = config['/**']['ros__parameters']
    # ROS parameter files cannot hold an empty list: such defaults are documented, not set.
    assert parameters == {spec.name: spec.default for spec in SPECS if spec.default != []}
