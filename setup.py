"""ament_python package looptrans_ros: installs looptrans_core and looptrans_ros."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE_NAME = 'looptrans_ros'

setup(
    name=PACKAGE_NAME,
    version='0.1.0',
    description=('LoopTrans weakly-supervised affordance grounding: model, training '
                 'and a ROS 2 node'),
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=find_packages(include=['looptrans_core', 'looptrans_core.*',
                                    'looptrans_ros', 'looptrans_ros.*']),
    package_data={'looptrans_core': ['assets/*.safetensors']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE_NAME}']),
        (f'share/{PACKAGE_NAME}', ['package.xml']),
        (f'share/{PACKAGE_NAME}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE_NAME}/config', glob('config/*.yaml') + glob('config/*.rviz')),
    ],
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'timm>=0.9',
        'numpy',
        'opencv-python-headless',
        'pillow',
        'safetensors',
        'tqdm',
        'pyyaml',
    ],
    extras_require={
        'train': ['matplotlib'],
        # mcap: the readable part of a bag cut off mid-write (looptrans_ros/bag_salvage.py)
        'bag': ['rosbags>=0.10', 'mcap>=1.2'],
        # python -m looptrans_core export --format onnx|openvino (docs/export.md)
        'export': ['onnx>=1.23', 'onnxscript>=0.7', 'openvino>=2026.4'],
        # backend='openvino' (fp32, bf16; int8 through NNCF post-training quantisation)
        'openvino': ['onnx>=1.23', 'onnxscript>=0.7', 'openvino>=2026.4', 'nncf>=2.19'],
        # pytest < 9: the launch_testing pytest plugin of Humble and Jazzy uses the `path`
        # hook argument that pytest 9 removed, and fails to load beside it.
        'test': ['pytest>=7,<9', 'hypothesis', 'matplotlib', 'rosbags>=0.10', 'mcap>=1.2',
                 'onnx>=1.23', 'onnxscript>=0.7', 'openvino>=2026.4', 'nncf>=2.19',
                 'onnxruntime',
                 'colcon-core',
                 'colcon-ros', 'colcon-package-information', 'colcon-defaults',
                 'flake8',
                 'flake8-blind-except', 'flake8-builtins', 'flake8-class-newline',
                 'flake8-comprehensions', 'flake8-deprecated', 'flake8-docstrings',
                 'flake8-import-order', 'flake8-quotes'],
    },
    zip_safe=True,
    maintainer='LoopTrans-ROS developers',
    maintainer_email='looptrans-ros@example.org',
    entry_points={
        'console_scripts': [
            'grounding_node = looptrans_ros.node:main',
            'synthetic_camera = looptrans_ros.synthetic_camera:main',
            'save_image = looptrans_ros.save_image:main',
            'bag_grounding = looptrans_ros.bag_grounding:main',
            'looptrans = looptrans_core.cli:main',
        ],
    },
)
