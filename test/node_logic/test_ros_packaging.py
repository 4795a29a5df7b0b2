"""Launch file, RViz config, package.xml files and colcon discovery, checked without ROS."""
import ast
import os
from pathlib import Path
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README_PATHS = ['.', 'looptrans_interfaces']
PIP_MODULES = {'cv2', 'matplotlib', 'mcap', 'numpy', 'PIL', 'rosbags', 'timm', 'torch', 'tqdm',
               'yaml'}
"""Modules setup.py's dependencies install (pip); package.xml names their rosdep keys apart."""
OURS = {'looptrans_core', 'looptrans_ros'}


def imported_modules(folder: Path) -> set:
    """Top-level modules the Python files of `folder` import, outside the standard library."""
    modules = set()
    for path in folder.glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split('.')[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split('.')[0])
    return {module for module in modules if module not in sys.stdlib_module_names}


def test_every_ros_package_looptrans_ros_imports_is_in_package_xml():
    root = ElementTree.parse(ROOT / 'package.xml').getroot()
    declared = {element.text.strip() for element in root.iter('exec_depend')}
    ros_modules = imported_modules(ROOT / 'looptrans_ros') - PIP_MODULES - OURS
    assert ros_modules and ros_modules <= declared, sorted(ros_modules - declared)


def test_rviz_config_has_the_displays():
    config = yaml.safe_load((ROOT / 'config' / 'looptrans.rviz').read_text())
    manager = config['Visualization Manager']
    displays = {d['Class']: d for d in manager['Displays'] if 'Topic' in d}
    topics = {d['Topic']['Value']: d for d in manager['Displays'] if 'Topic' in d}
    assert {'rviz_default_plugins/Image', 'rviz_default_plugins/MarkerArray',
            'rviz_default_plugins/PointStamped', 'rviz_default_plugins/PointCloud2',
            'rviz_default_plugins/PoseArray'} <= set(displays)
    assert displays['rviz_default_plugins/PointCloud2']['Channel Name'] == 'heat'
    assert {'/looptrans_grounding/cloud', '/looptrans_grounding/poses'} <= set(topics)
    for topic in ('overlay', 'heatmap'):
        qos = topics[f'/looptrans_grounding/{topic}']['Topic']
        assert (qos['Reliability Policy'], qos['Depth']) == ('Best Effort', 1)
    assert '/looptrans_grounding/markers' in topics and '/looptrans_grounding/peak_point' in topics
    assert manager['Global Options']['Fixed Frame'] == 'camera_optical_frame'


@pytest.mark.parametrize('path, build_type', [('package.xml', 'ament_python'),
                                              ('looptrans_interfaces/package.xml',
                                               'ament_cmake')])
def test_package_xml_is_format_3(path, build_type):
    root = ElementTree.parse(ROOT / path).getroot()
    assert root.tag == 'package' and root.get('format') == '3'
    for required in ('name', 'version', 'description', 'maintainer', 'license'):
        assert root.find(required) is not None and root.find(required).text.strip(), required
    assert root.find('maintainer').get('email')
    assert root.find('export/build_type').text == build_type
    order = ['name', 'version', 'description']
    assert [child.tag for child in root][:3] == order, 'format 3 fixes the first elements'


def test_interfaces_package_is_a_rosidl_package():
    root = ElementTree.parse(ROOT / 'looptrans_interfaces' / 'package.xml').getroot()
    assert root.find('member_of_group').text == 'rosidl_interface_packages'
    cmake = (ROOT / 'looptrans_interfaces' / 'CMakeLists.txt').read_text()
    for interface in ('msg/InteractionPoint.msg', 'msg/AffordancePeaks.msg',
                      'srv/SetAffordance.srv'):
        assert (ROOT / 'looptrans_interfaces' / interface).is_file()
        assert f'"{interface}"' in cmake


def colcon_list(*args: str, cwd: Path, home: Path) -> str:
    colcon = shutil.which('colcon') or str(Path(os.sys.executable).parent / 'colcon')
    if not Path(colcon).exists():
        pytest.skip('colcon is installed by the [test] extra')
    env = dict(os.environ, COLCON_HOME=str(home))
    result = subprocess.run([colcon, 'list', *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=120)
    if 'invalid choice' in result.stderr:
        pytest.skip('colcon list needs colcon-package-information')
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_colcon_discovers_both_packages_with_the_readme_paths(tmp_path):
    listed = colcon_list('--base-paths', *[str(ROOT / p) for p in README_PATHS], cwd=tmp_path,
                         home=tmp_path)
    assert 'looptrans_ros' in listed and 'looptrans_interfaces' in listed
    if 'ros.ament' in listed:
        assert '(ros.ament_cmake)' in listed and '(ros.ament_python)' in listed


def test_colcon_defaults_cover_builds_from_the_repository_root(tmp_path):
    pytest.importorskip('colcon_defaults', reason='colcon-defaults reads colcon_defaults.yaml')
    defaults = yaml.safe_load((ROOT / 'colcon_defaults.yaml').read_text())
    assert defaults['build']['base-paths'] == README_PATHS
    listed = colcon_list(cwd=ROOT, home=tmp_path)
    assert 'looptrans_interfaces' in listed and 'looptrans_ros' in listed
