"""What the node tests need from the machine: a ROS 2 install and a colcon build of ours.

Missing, each is a skip with its reason; with LOOPTRANS_REQUIRE_ROS=1 (set by CI) it is an error,
so a run in which the node tests silently skipped cannot pass.
"""
import os

import pytest

REQUIRE_ROS = os.environ.get('LOOPTRANS_REQUIRE_ROS') == '1'


def missing(reason: str, module_level: bool = False) -> None:
    """Skip with `reason`, or raise it as an error when ROS is required."""
    if REQUIRE_ROS:
        raise RuntimeError(f'LOOPTRANS_REQUIRE_ROS=1, but {reason}')
    pytest.skip(reason, allow_module_level=module_level)


def package_share() -> str:
    """Share folder of the colcon-built looptrans_ros (launch file, parameters)."""
    from ament_index_python.packages import get_package_share_directory, PackageNotFoundError
    try:
        return get_package_share_directory('looptrans_ros')
    except PackageNotFoundError:
        missing('looptrans_ros is not built: run `make test` (it builds with colcon), or colcon '
                'build and source install/setup.bash')
