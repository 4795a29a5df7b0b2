"""Stand-in rclpy.task.Future: the result of a service call."""
import threading
from typing import Any, Callable, List


class Future:
    """A result that arrives later: done(), result(), exception(), add_done_callback()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._result = None
        self._exception = None
        self._callbacks: List[Callable[['Future'], None]] = []

    def done(self) -> bool:
        """Whether a result or exception was set."""
        return self._done

    def result(self) -> Any:
        """Return the outcome: None while not done; raises the exception if one was set."""
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self):
        """Return the exception set, if any."""
        return self._exception

    def set_result(self, result: Any) -> None:
        """Complete with `result` and run the done callbacks."""
        self._complete(result, None)

    def set_exception(self, exception: BaseException) -> None:
        """Complete with `exception` and run the done callbacks."""
        self._complete(None, exception)

    def add_done_callback(self, callback: Callable[['Future'], None]) -> None:
        """Call `callback(future)` when done (at once if it already is)."""
        with self._lock:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def _complete(self, result: Any, exception) -> None:
        with self._lock:
            self._result, self._exception, self._done = result, exception, True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)
