"""ROS tests: real rclpy where it imports, else the stand-in in fake_rclpy/ put in sys.modules."""
from pathlib import Path
import sys

import numpy as np
import pytest
import torch

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
from looptrans_core.model.looptrans import LoopTrans

try:
    import rclpy  # noqa: F401
    REAL_RCLPY = True
except ImportError:
    REAL_RCLPY = False
sys.path.append(str(Path(__file__).parent / 'fake_rclpy'))
if not REAL_RCLPY:
    import ros_messages
    ros_messages.install()


@pytest.fixture(scope='session')
def ros_grounder() -> Grounder:
    """Return a Grounder over a random tiny model with the 36 Seen affordances, on the CPU."""
    torch.manual_seed(0)
    return Grounder(LoopTrans(len(SEEN_AFFORDANCES), 'vit_tiny_test'), SEEN_AFFORDANCES, 'cpu')


@pytest.fixture
def scene() -> np.ndarray:
    """Return a 48 x 64 BGR test image with a bright square."""
    image = np.full((48, 64, 3), 40, np.uint8)
    image[10:30, 20:44] = (30, 160, 230)
    return image
