"""main() of our nodes, the same on Humble and Jazzy; rclpy is imported only when it runs."""
import sys
from typing import Any, Callable, Optional, Sequence


def run_node(make_node: Callable[[], Any], args: Optional[Sequence[str]] = None,
             start_hint: str = '') -> int:
    """Spin the node `make_node` builds until Ctrl-C or shutdown.

    Returns 0, or 1 after printing the reason and `start_hint` when the node cannot start
    (a ValueError from its constructor, e.g. a missing checkpoint or a bad parameter).
    """
    import rclpy
    from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor

    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        executor = MultiThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ValueError as error:
        print(f'cannot start: {error}\n{start_hint}'.rstrip(), file=sys.stderr)
        return 1
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
