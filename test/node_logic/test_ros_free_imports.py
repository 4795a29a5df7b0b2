"""Every looptrans_ros module but the nodes imports where rclpy and ROS messages do not."""
import ast
import importlib
from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[2]
NODES = {'node', 'synthetic_camera', 'save_image', 'ros_types', 'tf_lookup', 'ground_action'}
BLOCKED = ['rclpy', 'sensor_msgs', 'std_msgs', 'geometry_msgs', 'cv_bridge', 'rcl_interfaces',
           'builtin_interfaces', 'looptrans_interfaces']


def test_modules_import_without_ros(monkeypatch):
    modules = sorted(p.stem for p in (ROOT / 'looptrans_ros').glob('*.py')
                     if p.stem not in NODES | {'__init__'})
    for name in BLOCKED:
        monkeypatch.setitem(sys.modules, name, None)
    for name in [m for m in sys.modules if m.startswith('looptrans_ros')]:
        monkeypatch.delitem(sys.modules, name)
    for module in modules:
        importlib.import_module(f'looptrans_ros.{module}')
    assert len(modules) >= 12


def test_looptrans_ros_uses_only_the_public_api_of_looptrans_core():
    deep = []
    for path in sorted((ROOT / 'looptrans_ros').glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([node.module or ''] if isinstance(node, ast.ImportFrom)
                       else [alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [])
            deep += [f'{path.name}: {module}' for module in modules
                     if module.startswith('looptrans_core.')]
    assert not deep, f'imports below looptrans_core (export them in its __init__): {deep}'
