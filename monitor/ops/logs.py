"""Structured logs: one JSON object per line when stderr is not a terminal, readable text when it is.

Context travels in ``extra=`` (``source``, ``url``, ``topic``, ``channel``, ...) and becomes fields. Secrets
never reach the output: the values the config holds are masked, and so is anything shaped like a secret.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

from monitor.config import Settings

MASK = "[redacted]"
# Shapes of secrets that may appear even when the config does not hold them (e.g. in an error from a library).
_SECRET_SHAPES = [
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)([^\s,;&]+)"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password@ in URLs
]
# Attributes every LogRecord has; anything else came from ``extra=`` and is context worth a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every known secret value and every secret-shaped string masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    for shape in _SECRET_SHAPES:
        if shape.groups >= 3:
            text = shape.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        elif shape.groups == 1:
            text = shape.sub(lambda m: f"{m.group(1)}{MASK}", text)
        else:
            text = shape.sub(MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Mask secrets in the message, the arguments and the extra fields of every record a handler sees."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = tuple(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        return True


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the extra context, and exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        event.update(_context(record))
        if record.exc_info or record.exc_text:
            event["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value ...`` for people at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _context(record)
        if context:
            tail = " ".join(f"{k}={v}" for k, v in context.items())
            first, newline, rest = line.partition("\n")
            line = f"{first}  {tail}{newline}{rest}"
        return line


def configure_logging(
    level: str, verbose: bool = False, fmt: str = "auto", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in ``fmt`` (auto, json, text), secrets masked."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, level.upper()))
    # httpx logs every request at INFO; that is our own fetch log's job
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler


def config_secrets(settings: Settings) -> list[str]:
    """Return every secret value in the config (webhook secrets and URLs, SMTP passwords), to mask in logs."""
    found: list[str] = []
    for channel in settings.channels.values():
        for value in (getattr(channel, "secret", None), getattr(getattr(channel, "smtp", None), "password", None)):
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, list | tuple):  # rotation: several secrets
                found.extend(v for v in value if isinstance(v, str))
        for name in ("secrets",):
            value = getattr(channel, name, None)
            if isinstance(value, list | tuple):
                found.extend(v for v in value if isinstance(v, str))
        url = getattr(channel, "url", None)
        if isinstance(url, str):
            found.extend(_url_credentials(url, getattr(channel, "format", "standard")))
    return found


def _url_credentials(url: str, fmt: str) -> list[str]:
    """Return the parts of a webhook URL that work as a password, to mask wherever the URL is logged.

    A chat service's incoming-webhook URL (Slack, Discord, Teams, Mattermost) is its own credential: the path
    holds the token, so the path is masked and the host stays readable. Any URL's query string is masked too
    (``?token=…``, ``?code=…``); credentials before ``@`` are masked by shape.
    """
    parts = urlsplit(url)
    found = [f"?{parts.query}"] if len(parts.query) >= 4 else []
    if fmt != "standard" and len(parts.path) > 1:
        found.append(parts.path)
    return found


def update_secrets(handler: logging.Handler, secrets: Iterable[str]) -> None:
    """Replace the masked values after a config reload."""
    for flt in handler.filters:
        if isinstance(flt, RedactingFilter):
            flt.secrets = tuple(s for s in secrets if len(s) >= 4)
