"""main() of our nodes, the same on Humble and Jazzy; rclpy is imported only when it runs."""
import signal
import sys
import threading
from typing import Any, Callable, Optional, Sequence


def ignore_further_interrupts() -> None:
    """Ignore SIGINT from now on, so shutting down cannot be interrupted half-way.

    Ctrl-C under `ros2 launch` sends SIGINT to every process of the terminal's group, and
    launch then sends each node a second one while it shuts down; without this the second
    one raises KeyboardInterrupt inside destroy_node(). SIGTERM still ends a node that hangs.
    Signals can only be set from the main thread; elsewhere (tests) nothing changes.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_node(make_node: Callable[[], Any], args: Optional[Sequence[str]] = None,
             start_hint: str = '') -> int:
    """Spin the node `make_node` builds until Ctrl-C or shutdown, then shut down cleanly.

    Returns 0, or 1 after printing the reason and `start_hint` when the node cannot start
    (a ValueError from its constructor, e.g. a missing checkpoint or a bad parameter).
    """
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    rclpy.init(args=args)
    node = executor = None
    try:
        node = make_node()
        executor = SingleThreadedExecutor()  # callbacks are short: see GroundingNode
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        ignore_further_interrupts()
    except ValueError as error:
        print(f'cannot start: {error}\n{start_hint}'.rstrip(), file=sys.stderr)
        return 1
    finally:
        if executor is not None:
            executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
