"""Stand-in rclpy.context.Context and the default context that rclpy.init starts."""
import threading
from typing import Optional

from rclpy.bus import BUS


class Context:
    """An init/shutdown lifetime; nodes and executors of a context stop when it shuts down."""

    def __init__(self) -> None:
        self._ok = False
        self._initialised = False

    def init(self, args=None, *, initialize_logging: bool = True, domain_id=None) -> None:
        """Start the context; like rclpy, a context can be started only once."""
        if self._initialised:
            raise RuntimeError('Context.init() must only be called once')
        self._ok = self._initialised = True

    def ok(self) -> bool:
        """Whether the context is running."""
        return self._ok

    def shutdown(self) -> None:
        """Stop the context; raises if it is not running, like rclpy."""
        if not self._ok:
            raise RuntimeError('Context must be initialized before it can be shutdown')
        self.try_shutdown()

    def try_shutdown(self) -> None:
        """Stop the context if it is running, and wake every executor."""
        self._ok = False
        BUS.notify()


_default: Optional[Context] = None
_default_lock = threading.Lock()


def get_default_context(*, shutting_down: bool = False) -> Context:
    """Return the default context; `shutting_down` hands it over and starts a fresh one."""
    global _default
    with _default_lock:
        context = _default = _default or Context()
        if shutting_down:
            _default = None
        return context
