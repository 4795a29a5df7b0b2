"""Stand-in rclpy.service.Service: requests queued by clients, answered by the executor."""
from collections import deque

from rclpy.bus import BUS

import ros_messages


class Service:
    """Answers each request with `callback(request, response)`; responses are serialised."""

    def __init__(self, srv_type, srv_name: str, callback, callback_group) -> None:
        self.srv_type, self.srv_name, self.callback = srv_type, srv_name, callback
        self.callback_group = callback_group
        self._requests = deque()

    def receive(self, request, respond) -> None:
        """Queue a request; `respond(response)` gets the answer."""
        self._requests.append((request, respond))

    def take(self):
        """Return a callable answering the oldest request, or None if none."""
        if not self._requests:
            return None
        request, respond = self._requests.popleft()

        def answer() -> None:
            response = self.callback(request, self.srv_type.Response())
            ros_messages.serialize_all(response)
            respond(response)
        return answer

    def destroy(self) -> None:
        """Withdraw from the bus."""
        BUS.remove(self)
