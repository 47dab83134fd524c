"""A host on the public internet, which no test may reach: httpx's mock transport answers for it.

Every other URL goes over the network as usual, so a redirect from the public host to 127.0.0.1 reaches (or,
when the guard works, does not reach) a real local server. The host is a literal public address: it needs no DNS,
and the SSRF guard judges it public as it is, with nothing patched.
"""

from __future__ import annotations

import httpx

ADDRESS = "93.184.216.34"


class PublicHost:
    """Answers by path (404 for the rest); keeps every URL it was asked for."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.requests: list[str] = []

    def url(self, path: str) -> str:
        return f"http://{ADDRESS}{path}"

    def client(self) -> httpx.AsyncClient:
        """Return a client whose requests to this host are answered here, and go out as usual to any other."""
        return httpx.AsyncClient(mounts={f"http://{ADDRESS}": httpx.MockTransport(self._answer)})

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        answer = self.routes.get(request.url.path, httpx.Response(404))
        # Streamed, as from a socket (``content=`` would be read at once, and the fetch reads the raw stream).
        body = answer.content
        headers = {**answer.headers, "Content-Length": str(len(body))}
        return httpx.Response(answer.status_code, headers=headers, stream=httpx.ByteStream(body))


def redirect(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})
