"""Test peers and paths shared by the top-level tests (a module of its own: conftest is not importable)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_TOPICS = REPO / "seeds" / "topics"


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1 (aiosmtpd cannot pick one itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MailBox:
    """An aiosmtpd handler keeping every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def webhook_config(tmp_path: Path, sources: list[dict[str, Any]], hook_url: str, **fetch: Any) -> Path:
    """Write a config polling ``sources`` with the seed topics, every hit going to one signed webhook (its secret
    from ``${HOOK_SECRET}``); ``fetch`` settings override the local defaults (private addresses allowed, no delay)."""
    config: dict[str, Any] = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True, "min_delay": "0s", **fetch},
        "sources": sources,
        "topics": [str(SEED_TOPICS)],
        "channels": [{"id": "hook", "type": "webhook", "url": hook_url, "secret": "${HOOK_SECRET}"}],
        "routes": [{"topics": ["*"], "channels": ["hook"]}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
