"""looptrans_ros: the ROS 2 grounding node and its ROS-free helpers.

Every module except `node` and `synthetic_camera` imports without rclpy.
"""
