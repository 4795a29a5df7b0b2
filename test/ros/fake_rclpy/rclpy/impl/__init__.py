"""Stand-in rclpy.impl: the logger."""
