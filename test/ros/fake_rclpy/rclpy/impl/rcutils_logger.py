"""Stand-in RcutilsLogger: prints like rcutils and publishes rcl_interfaces/Log records."""
import sys
import time

SEVERITIES = {'DEBUG': 10, 'INFO': 20, 'WARN': 30, 'ERROR': 40, 'FATAL': 50}
"""rcl_interfaces/msg/Log levels."""


class RcutilsLogger:
    """A named logger; records at or above INFO go to stderr and to `rosout` when given."""

    def __init__(self, name: str = '', rosout=None) -> None:
        self.name = name
        self._rosout = rosout

    def get_effective_level(self) -> int:
        """Return the lowest level logged (INFO, like rclpy's default)."""
        return SEVERITIES['INFO']

    def log(self, message, level: int, **kwargs) -> bool:
        """Log `message` at `level`; return whether it was logged."""
        if level < self.get_effective_level():
            return False
        severity = next(name for name, value in SEVERITIES.items() if value == level)
        print(f'[{severity}] [{time.time():.9f}] [{self.name}]: {message}', file=sys.stderr)
        if self._rosout is not None:
            self._rosout(level, self.name, str(message))
        return True

    def debug(self, message, **kwargs) -> bool:
        """Log at DEBUG."""
        return self.log(message, SEVERITIES['DEBUG'])

    def info(self, message, **kwargs) -> bool:
        """Log at INFO."""
        return self.log(message, SEVERITIES['INFO'])

    def warning(self, message, **kwargs) -> bool:
        """Log at WARN."""
        return self.log(message, SEVERITIES['WARN'])

    warn = warning

    def error(self, message, **kwargs) -> bool:
        """Log at ERROR."""
        return self.log(message, SEVERITIES['ERROR'])

    def fatal(self, message, **kwargs) -> bool:
        """Log at FATAL."""
        return self.log(message, SEVERITIES['FATAL'])
