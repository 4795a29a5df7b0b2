"""Stand-in for rclpy's top level: init, shutdown, try_shutdown, ok, spin."""
import threading

STAND_IN = True
"""Marks this package as the test stand-in, not rclpy."""

_shutdown = threading.Event()
_shutdown.set()


def init(*, args=None, context=None, domain_id=None, signal_handler_options=None) -> None:
    """Start the default context."""
    _shutdown.clear()


def ok(*, context=None) -> bool:
    """Whether the default context is running."""
    return not _shutdown.is_set()


def shutdown(*, context=None, uninstall_handlers=None) -> None:
    """Stop the default context; raises if it was not running, like rclpy."""
    if _shutdown.is_set():
        raise RuntimeError('Context must be initialized before it can be shutdown')
    _shutdown.set()


def try_shutdown(*, context=None, uninstall_handlers=None) -> None:
    """Stop the default context if it is running."""
    _shutdown.set()


def spin(node, executor=None) -> None:
    """Spin `node` until the context shuts down."""
    from rclpy.executors import SingleThreadedExecutor
    executor = executor or SingleThreadedExecutor()
    executor.add_node(node)
    executor.spin()
