"""Email delivery against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from notify_peers import AlertFactory, RecordingHandler, SmtpFactory, free_port

from monitor.config import EmailChannel
from monitor.errors import NotifyError
from monitor.models import Alert
from monitor.notify.email import send_email, submit_email


def channel_for(port: int, *, to: list[str] | None = None, **smtp: Any) -> EmailChannel:
    return EmailChannel.model_validate(
        {
            "id": "mail",
            "type": "email",
            "from": "monitor@example.org",
            "to": to or ["desk@example.org"],
            "smtp": {"host": "127.0.0.1", "port": port, "starttls": False, "timeout": 5} | smtp,
        }
    )


def received(handler: RecordingHandler) -> EmailMessage:
    [(_, _, raw)] = handler.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def send_expecting_error(channel: EmailChannel, alert: Alert) -> NotifyError:
    with pytest.raises(NotifyError) as caught:
        asyncio.run(send_email(channel, alert))
    return caught.value


def test_one_multipart_message_per_alert(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    channel = channel_for(smtp_server(handler), to=["desk@example.org", "editor@example.org"])
    alert = make_alert()
    outcome = asyncio.run(submit_email(channel, alert))
    assert outcome.startswith("250")
    [(sender, recipients, _)] = handler.messages
    assert sender == "monitor@example.org"
    assert recipients == ["desk@example.org", "editor@example.org"]
    message = received(handler)
    assert message["Subject"] == f"[monitor] {alert.topic_title}: {alert.article_title}"
    assert message["Message-ID"] == f"<{alert.id}@monitor>"
    assert parsedate_to_datetime(message["Date"]) == alert.created_at
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert alert.article_url in plain.get_content()
    assert f'href="{alert.article_url}"' in html.get_content()


def test_retry_keeps_the_message_id(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    channel = channel_for(smtp_server(handler))
    asyncio.run(send_email(channel, make_alert()))
    asyncio.run(send_email(channel, make_alert()))
    ids = [message_from_bytes(raw)["Message-ID"] for _, _, raw in handler.messages]
    assert ids == ["<alert-0001-tartus@monitor>"] * 2


def test_title_injects_no_header_and_no_recipient(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    alert = make_alert(article_title="Breaking\r\nBcc: evil@x\r\nX-Injected: yes")
    asyncio.run(send_email(channel_for(smtp_server(handler)), alert))
    [(_, recipients, raw)] = handler.messages
    assert recipients == ["desk@example.org"]
    message = received(handler)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"].endswith("Breaking Bcc: evil@x X-Injected: yes")
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw


def test_script_title_is_escaped_in_html(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    alert = make_alert(article_title="<script>alert('x')</script>")
    asyncio.run(send_email(channel_for(smtp_server(handler)), alert))
    html = received(handler).get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    # Jinja2 (markupsafe) writes ' as &#39;; html.escape as &#x27;: both are correct HTML.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html.get_content()


def test_451_is_temporary(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    port = smtp_server(RecordingHandler(data_reply="451 4.3.0 Try again later"))
    error = send_expecting_error(channel_for(port), make_alert())
    assert (error.status, error.permanent, error.channel) == (451, False, "mail")


def test_550_is_permanent(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    port = smtp_server(RecordingHandler(refuse={"desk@example.org": "550 5.1.1 No such user"}))
    error = send_expecting_error(channel_for(port), make_alert())
    assert (error.status, error.permanent) == (550, True)
    assert "No such user" in str(error)


def test_greylisted_recipient_is_temporary(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    port = smtp_server(RecordingHandler(refuse={"desk@example.org": "450 4.2.0 Greylisted"}))
    error = send_expecting_error(channel_for(port), make_alert())
    assert (error.status, error.permanent) == (450, False)


def test_partly_refused_recipients_are_reported(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler(refuse={"gone@example.org": "550 5.1.1 No such user"})
    channel = channel_for(smtp_server(handler), to=["desk@example.org", "gone@example.org"])
    outcome = asyncio.run(submit_email(channel, make_alert()))
    assert outcome.startswith("250") and "gone@example.org: 550" in outcome
    assert handler.messages[0][1] == ["desk@example.org"]


def test_no_server_is_temporary(make_alert: AlertFactory) -> None:
    error = send_expecting_error(channel_for(free_port()), make_alert())
    assert (error.status, error.permanent) == (None, False)


def test_starttls_required_but_missing_fails(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    error = send_expecting_error(channel_for(smtp_server(handler), starttls=True), make_alert())
    assert "STARTTLS" in str(error) or "starttls" in str(error).lower()
    assert handler.messages == []


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"bot", b"s3cret")
    return AuthResult(success=ok, handled=False)


def test_login_when_username_is_set(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, authenticator=_authenticator, auth_require_tls=False)
    asyncio.run(send_email(channel_for(port, username="bot", password="s3cret"), make_alert()))
    assert len(handler.messages) == 1


def test_wrong_password_is_permanent(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, authenticator=_authenticator, auth_require_tls=False)
    error = send_expecting_error(channel_for(port, username="bot", password="wrong"), make_alert())
    assert (error.status, error.permanent) == (535, True)
    assert handler.messages == []
