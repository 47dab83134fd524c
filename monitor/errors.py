"""The one exception tree of monitor.

Every stage raises a subclass of ``MonitorError`` carrying its context (source, URL, status);
the pipeline catches it per source and records it, the CLI turns it into an exit code::

    MonitorError
    ├── ConfigError          bad config file, topic file or query (exit 2 in the CLI)
    │   └── QueryError       a topic query that does not parse (file, position, what was expected)
    ├── FetchError           network failure, HTTP error status, body too large, blocked address
    ├── ParseError           a body that is not a feed we can read
    ├── ExtractError         a page we cannot turn into an article
    ├── StoreError           the database is unusable
    └── NotifyError          a channel refused or failed a delivery
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error monitor raises on purpose."""


class ConfigError(MonitorError):
    """An invalid configuration; ``problems`` lists every ``file:line: key: reason`` found."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class QueryError(ConfigError):
    """A topic query that does not parse."""

    def __init__(self, message: str, *, query: str, position: int, source: str | None = None) -> None:
        self.message = message
        self.query = query
        self.position = position
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}query error at position {position}: {message}")


class FetchError(MonitorError):
    """A fetch that failed; ``reason`` is a short machine-readable cause such as ``timeout`` or ``http``."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        status_part = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{url}: {reason}{status_part}: {message}")


class ParseError(MonitorError):
    """A body that is not a feed we can read."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


class ExtractError(MonitorError):
    """A page that cannot be turned into an article."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        self.url = url
        super().__init__(f"{url}: {message}" if url else message)


class StoreError(MonitorError):
    """The database cannot be opened, migrated or written."""


class NotifyError(MonitorError):
    """A delivery that failed; ``permanent`` failures are not retried."""

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        status: int | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.channel = channel
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after
        status_part = f" (status {status})" if status is not None else ""
        super().__init__(f"channel {channel}{status_part}: {message}")
