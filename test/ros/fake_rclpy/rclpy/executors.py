"""Stand-in executors: spinning fires the nodes' timers until the context shuts down."""
import time

import rclpy


class ExternalShutdownException(Exception):
    """The context was shut down while spinning."""


class Executor:
    """Fires due timers of its nodes; subscriptions and services are called by the tests."""

    def __init__(self, *, context=None) -> None:
        self._nodes = []
        self._stopped = False

    def add_node(self, node) -> bool:
        """Add a node to spin."""
        if node not in self._nodes:
            self._nodes.append(node)
        return True

    def spin_once(self, timeout_sec=None) -> None:
        """Fire every due timer once."""
        if not rclpy.ok():
            raise ExternalShutdownException()
        for node in self._nodes:
            node._fire_due_timers(time.monotonic())
        time.sleep(min(timeout_sec or 0.01, 0.01))

    def spin(self) -> None:
        """Spin until the context shuts down."""
        while not self._stopped:
            self.spin_once()

    def shutdown(self, timeout_sec=None) -> bool:
        """Stop spinning."""
        self._stopped = True
        return True


class SingleThreadedExecutor(Executor):
    """One thread."""


class MultiThreadedExecutor(Executor):
    """Several threads (num_threads is accepted and ignored)."""

    def __init__(self, num_threads=None, *, context=None) -> None:
        super().__init__(context=context)
