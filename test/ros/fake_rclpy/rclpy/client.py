"""Stand-in rclpy.client.Client: call_async returns a Future completed by the executor."""
from collections import deque
import time

from rclpy.bus import BUS
from rclpy.task import Future


class Client:
    """Calls one service; a response completes its Future when the client's node is spun."""

    def __init__(self, srv_type, srv_name: str, callback_group) -> None:
        self.srv_type, self.srv_name, self.callback_group = srv_type, srv_name, callback_group
        self._responses = deque()

    def service_is_ready(self) -> bool:
        """Whether a server of the service exists."""
        return BUS.service(self.srv_name) is not None

    def wait_for_service(self, timeout_sec=None) -> bool:
        """Wait up to `timeout_sec` (forever if None) for the server; return whether it came."""
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        with BUS.changed:
            while not self.service_is_ready():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                BUS.changed.wait(remaining)
        return True

    def call_async(self, request) -> Future:
        """Send `request`; the returned Future completes with the response."""
        if not isinstance(request, self.srv_type.Request):
            raise TypeError(f'Expected {self.srv_type.Request}, got {type(request)}')
        future = Future()
        with BUS.changed:
            service = BUS.service(self.srv_name)
            if service is not None:
                service.receive(request, lambda response: self._receive(future, response))
            BUS.changed.notify_all()
        return future

    def _receive(self, future: Future, response) -> None:
        with BUS.changed:
            self._responses.append((future, response))
            BUS.changed.notify_all()

    def take(self):
        """Return a callable completing the oldest answered call, or None if none."""
        if not self._responses:
            return None
        future, response = self._responses.popleft()
        return lambda: future.set_result(response)

    def destroy(self) -> None:
        """Forget pending calls."""
        self._responses.clear()
