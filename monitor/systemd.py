"""sd_notify over $NOTIFY_SOCKET (READY=1, STATUS=, WATCHDOG=1, STOPPING=1); a no-op outside systemd.

The protocol is one datagram of ``KEY=value`` lines to a unix socket named by the environment
(https://www.freedesktop.org/software/systemd/man/sd_notify.html); a leading ``@`` names an abstract socket.
"""

from __future__ import annotations

import os
import socket


def notify(*lines: str) -> bool:
    """Send ``lines`` (e.g. ``"READY=1"``, ``"STATUS=polling"``) to systemd; return False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or not lines:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode("utf-8"))
    except OSError:
        return False  # systemd gone or socket unreachable: notifications are advisory, never fatal
    return True


def watchdog_interval() -> float | None:
    """Return how often to send WATCHDOG=1 (half of WatchdogSec), or None when no watchdog is armed for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        seconds = int(usec) / 1_000_000
    except ValueError:
        return None
    return seconds / 2 if seconds > 0 else None
