"""SIGTERM to `ros2 launch` ends the launch cleanly: what `docker stop` and systemd send.

Jazzy's launch registers SIGTERM with its signal manager but leaves Python's disposition of
SIGTERM at the default, so the launch process dies at once and its nodes are orphaned
(ros2/launch#666; the fix, ros2/launch#712, is not released). launch offers no hook for this,
so `shut_down_on_sigterm` (an OpaqueFunction of our launch file, run inside launch's loop)
takes SIGTERM from the signal manager (found with gc: launch keeps it in a local) and gives it
a Python handler that emits launch's own Shutdown event: SIGINT to every node, then launch's
usual escalation. Remove this once launch handles SIGTERM itself.
"""
import gc
import signal
import threading
from typing import Any, List


def shut_down_on_sigterm(context: Any, *args: Any, **kwargs: Any) -> List[Any]:
    """Make SIGTERM emit launch's Shutdown event in `context`'s loop; return no actions."""
    from launch.events import Shutdown
    from launch.utilities.signal_management import AsyncSafeSignalManager

    if threading.current_thread() is not threading.main_thread():
        return []  # Python sets signal handlers only from the main thread
    for manager in [o for o in gc.get_objects() if isinstance(o, AsyncSafeSignalManager)]:
        manager.handle(signal.SIGTERM, None)
    loop = context.asyncio_loop

    def on_sigterm(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(context.emit_event_sync,
                                  Shutdown(reason='SIGTERM', due_to_sigint=False))
    signal.signal(signal.SIGTERM, on_sigterm)
    return []
