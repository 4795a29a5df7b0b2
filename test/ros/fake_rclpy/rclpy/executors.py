"""Stand-in executors: run the ready callbacks of their nodes in the calling thread."""
import time

from rclpy.bus import BUS
from rclpy.context import get_default_context

POLL_S = 0.1
"""Longest wait between checks of the context, in case a wake-up was missed."""


class ExternalShutdownException(Exception):
    """The context was shut down while spinning."""


class Executor:
    """Runs one ready timer, subscription, service or client callback per spin_once."""

    def __init__(self, *, context=None) -> None:
        self._context = context or get_default_context()
        self._nodes = []
        self._is_shutdown = False

    @property
    def context(self):
        """The context whose shutdown stops spinning."""
        return self._context

    def add_node(self, node) -> bool:
        """Add a node whose callbacks this executor runs; False if it was there already."""
        if node in self._nodes:
            return False
        self._nodes.append(node)
        BUS.notify()
        return True

    def remove_node(self, node) -> None:
        """Stop running `node`'s callbacks."""
        if node in self._nodes:
            self._nodes.remove(node)

    def get_nodes(self) -> list:
        """Return the nodes added."""
        return list(self._nodes)

    def spin_once(self, timeout_sec=None) -> None:
        """Run one ready callback, waiting up to `timeout_sec` (forever if None) for one."""
        work = self._wait_for_work(timeout_sec)
        if work is not None:
            work()

    def _wait_for_work(self, timeout_sec):
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        with BUS.changed:
            while True:
                if not self._context.ok():
                    raise ExternalShutdownException()
                if self._is_shutdown:
                    return None
                work = next(filter(None, (node.take_ready() for node in self._nodes)), None)
                if work is not None:
                    return work
                waits = [POLL_S] + [node.seconds_to_next_timer() for node in self._nodes]
                if deadline is not None:
                    waits.append(deadline - time.monotonic())
                wait = min(w for w in waits if w is not None)
                if deadline is not None and deadline <= time.monotonic():
                    return None
                BUS.changed.wait(max(wait, 0.0))

    def spin(self) -> None:
        """Spin until the context or the executor shuts down."""
        while self._context.ok() and not self._is_shutdown:
            self.spin_once()

    def spin_until_future_complete(self, future, timeout_sec=None) -> None:
        """Spin until `future` is done or `timeout_sec` (None: no limit) has passed."""
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        while not future.done() and self._context.ok() and not self._is_shutdown:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            self.spin_once(remaining)

    def shutdown(self, timeout_sec=None) -> bool:
        """Stop spinning."""
        self._is_shutdown = True
        BUS.notify()
        return True


class SingleThreadedExecutor(Executor):
    """Callbacks run in the spinning thread."""


class MultiThreadedExecutor(Executor):
    """rclpy runs callbacks on a thread pool; the stand-in runs them in the spinning thread."""

    def __init__(self, num_threads=None, *, context=None) -> None:
        super().__init__(context=context)
