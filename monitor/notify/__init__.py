"""Deliver an alert or a digest to one channel: webhook, email or log. ``deliver`` is the one entry point."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from monitor.config import EmailChannel, LogChannel, WebhookChannel
from monitor.models import Alert, Notice
from monitor.notify.digest import Digest
from monitor.notify.email import send_email, submit_email
from monitor.notify.log import send_log
from monitor.notify.webhook import send_webhook

Channel = WebhookChannel | EmailChannel | LogChannel
Message = Alert | Digest | Notice
Sender = Callable[[Message, Channel, httpx.AsyncClient, Path | None], Awaitable[str]]

__all__ = ["CHANNELS", "Channel", "Digest", "Message", "deliver", "send_email", "send_log", "send_webhook"]


async def _webhook(message: Message, channel: Channel, client: httpx.AsyncClient, base: Path | None) -> str:
    if not isinstance(channel, WebhookChannel):
        raise TypeError(f"not a webhook channel: {channel.id}")
    return f"HTTP {await send_webhook(client, channel, message)}"


async def _email(message: Message, channel: Channel, client: httpx.AsyncClient, base: Path | None) -> str:
    if not isinstance(channel, EmailChannel):
        raise TypeError(f"not an email channel: {channel.id}")
    templates = (base or Path.cwd()) / channel.templates if channel.templates else None
    return await submit_email(channel, message, templates=templates)


async def _log(message: Message, channel: Channel, client: httpx.AsyncClient, base: Path | None) -> str:
    send_log(message)
    return "logged"


# One entry per `type:` of a channel in the config; a new channel kind is one function and one line here.
CHANNELS: dict[str, Sender] = {"webhook": _webhook, "email": _email, "log": _log}


async def deliver(
    message: Message, channel: Channel, *, client: httpx.AsyncClient, config_dir: Path | None = None
) -> str:
    """Send an alert or digest through ``channel`` and return a short outcome such as ``HTTP 204``; raise NotifyError.

    ``config_dir`` is where relative paths of the channel (email templates) are resolved.
    """
    return await CHANNELS[channel.type](message, channel, client, config_dir)
