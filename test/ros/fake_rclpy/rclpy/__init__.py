"""Stand-in for rclpy's top level: init, shutdown, try_shutdown, ok, create_node, spin*."""
from rclpy.context import get_default_context

STAND_IN = True
"""Marks this package as the test stand-in, not rclpy."""


def init(*, args=None, context=None, domain_id=None, signal_handler_options=None) -> None:
    """Start `context` (default: the default context); a context starts only once."""
    (context or get_default_context()).init(args, domain_id=domain_id)


def ok(*, context=None) -> bool:
    """Whether `context` (default: the default context) is running."""
    return (context or get_default_context()).ok()


def shutdown(*, context=None, uninstall_handlers=None) -> None:
    """Stop `context`; raises if it was not running, like rclpy."""
    (context or get_default_context(shutting_down=True)).shutdown()


def try_shutdown(*, context=None, uninstall_handlers=None) -> None:
    """Stop `context` if it is running."""
    (context or get_default_context(shutting_down=True)).try_shutdown()


def create_node(node_name, **kwargs):
    """Return rclpy.node.Node(node_name, **kwargs)."""
    from rclpy.node import Node
    return Node(node_name, **kwargs)


def _executor(node, executor):
    from rclpy.executors import SingleThreadedExecutor
    executor = executor or SingleThreadedExecutor(context=node.context)
    executor.add_node(node)
    return executor


def spin_once(node, *, executor=None, timeout_sec=None) -> None:
    """Run one ready callback of `node`."""
    _executor(node, executor).spin_once(timeout_sec)


def spin_until_future_complete(node, future, executor=None, timeout_sec=None) -> None:
    """Spin `node` until `future` is done or the time is up."""
    _executor(node, executor).spin_until_future_complete(future, timeout_sec)


def spin(node, executor=None) -> None:
    """Spin `node` until the context shuts down."""
    _executor(node, executor).spin()
