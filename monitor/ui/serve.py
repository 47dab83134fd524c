"""Serve the ui pages on 127.0.0.1 until SIGTERM or SIGINT, then close the listener: nothing is left behind.

The pages are answered on the event loop itself (one read connection, one request at a time): a local browser
needs no more, and nothing else shares the connection, so no lock is needed either.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from monitor.ops.http import LocalHttpServer
from monitor.ui.pages import UiApp

# The pages load nothing from elsewhere: no scripts at all, styles and charts inline.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page_url(host: str, port: int) -> str:
    """Return the address a browser opens for ``host:port`` (IPv6 in brackets)."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


async def serve_ui(app: UiApp, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Listen on ``host:port`` (0: any free port), call ``ready`` with the URL, and serve until SIGTERM/SIGINT."""
    server = LocalHttpServer(host, port, app.route, HEADERS)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        ready(page_url(host, server.port))
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.stop()
