"""Deliver an alert to one channel: webhook, email or log. ``deliver`` is the one entry point."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from monitor.config import EmailChannel, LogChannel, WebhookChannel
from monitor.models import Alert
from monitor.notify.email import send_email, submit_email
from monitor.notify.log import send_log
from monitor.notify.webhook import send_webhook

Channel = WebhookChannel | EmailChannel | LogChannel
Sender = Callable[[Alert, Channel, httpx.AsyncClient], Awaitable[str]]

__all__ = ["CHANNELS", "Channel", "deliver", "send_email", "send_log", "send_webhook"]


async def _webhook(alert: Alert, channel: Channel, client: httpx.AsyncClient) -> str:
    if not isinstance(channel, WebhookChannel):
        raise TypeError(f"not a webhook channel: {channel.id}")
    return f"HTTP {await send_webhook(client, channel, alert)}"


async def _email(alert: Alert, channel: Channel, client: httpx.AsyncClient) -> str:
    if not isinstance(channel, EmailChannel):
        raise TypeError(f"not an email channel: {channel.id}")
    return await submit_email(channel, alert)


async def _log(alert: Alert, channel: Channel, client: httpx.AsyncClient) -> str:
    send_log(alert)
    return "logged"


# One entry per `type:` of a channel in the config; a new channel kind is one function and one line here.
CHANNELS: dict[str, Sender] = {"webhook": _webhook, "email": _email, "log": _log}


async def deliver(alert: Alert, channel: Channel, *, client: httpx.AsyncClient) -> str:
    """Send ``alert`` through ``channel`` and return a short outcome such as ``HTTP 204``; raise NotifyError."""
    return await CHANNELS[channel.type](alert, channel, client)
