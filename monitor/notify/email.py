"""Send an alert as one email over SMTP (aiosmtplib) and classify the server's answer."""

from __future__ import annotations

import base64
import logging
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from monitor.config import EmailChannel, SmtpSettings
from monitor.errors import NotifyError
from monitor.models import Alert, Notice
from monitor.notify.digest import Digest
from monitor.notify.templates import build_email

log = logging.getLogger(__name__)


async def send_email(channel: EmailChannel, alert: Alert) -> None:
    """Send ``alert`` to the channel's recipients; raise NotifyError when the server refuses it."""
    await submit_email(channel, alert)


async def submit_email(channel: EmailChannel, alert: Alert | Digest | Notice, *, templates: Path | None = None) -> str:
    """Send an alert or a digest to the channel's recipients and return the server's reply, e.g. ``250 OK``.

    ``templates`` is the channel's template folder, already resolved against the config file's folder.
    """
    message = build_email(
        alert,
        sender=channel.from_,
        recipients=channel.to,
        list_id=channel.list_id,
        unsubscribe=channel.unsubscribe,
        templates=templates,
    )
    return await send_message(channel.smtp, message, channel_id=channel.id)


async def send_message(smtp: SmtpSettings, message: EmailMessage, *, channel_id: str) -> str:
    """Deliver a built ``message`` through ``smtp`` and return the server's reply to DATA."""
    try:
        refused, reply = await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.ssl,
            # True insists on STARTTLS (a server that drops it is an error, not a plain-text fallback); None uses
            # it when offered, for a local relay without TLS (the login, if any, never goes in clear: see
            # SmtpSettings).
            start_tls=smtp.start_tls,
            timeout=smtp.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        detail = _hide("; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients), smtp)
        # Retry while any refusal is temporary: a greylisting server answers 4xx the first time.
        permanent = all(code >= 500 for code in codes)
        raise NotifyError(
            f"every recipient refused: {detail}", channel=channel_id, status=min(codes), permanent=permanent
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise NotifyError(
            _hide(f"{type(exc).__name__}: {exc.code} {exc.message}", smtp),
            channel=channel_id,
            status=exc.code,
            permanent=exc.code >= 500,
        ) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        # Connection refused, reset, TLS handshake, timeouts: the server may be back later.
        raise NotifyError(_hide(f"{type(exc).__name__}: {exc}", smtp), channel=channel_id) from None
    outcome = f"250 {reply}".strip()
    if refused:
        # The message went to the others; retrying would duplicate it for them, so report instead of raising.
        detail = "; ".join(f"{address}: {response.code} {response.message}" for address, response in refused.items())
        log.warning("channel %s: some recipients refused: %s", channel_id, _hide(detail, smtp))
        outcome += f" (refused: {detail})"
    return _hide(outcome, smtp)


def _hide(text: str, smtp: SmtpSettings) -> str:
    """Mask our password in what a server said: a hostile server can quote it back (plain or base64) in an
    error that is then stored and shown by ``monitor deliveries`` (found by tests/hostile)."""
    if not smtp.password:
        return text
    for form in (smtp.password, base64.b64encode(smtp.password.encode()).decode().rstrip("=")):
        if len(form) >= 4:
            text = text.replace(form, "[redacted]")
    return text
