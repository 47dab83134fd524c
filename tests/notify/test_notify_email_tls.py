"""STARTTLS and implicit TLS against aiosmtpd with a certificate made for the test (openssl CLI)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from notify_peers import AlertFactory, RecordingHandler, SmtpFactory

from monitor.config import EmailChannel
from monitor.errors import NotifyError
from monitor.notify.email import send_email

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a cert")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (cert, key) of a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def server_context(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """Return the server's TLS context; the client trusts the test certificate through SSL_CERT_FILE."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def channel_for(port: int, **smtp: Any) -> EmailChannel:
    return EmailChannel.model_validate(
        {"id": "mail", "type": "email", "from": "m@example.org", "to": ["a@example.org"],
         "smtp": {"host": "127.0.0.1", "port": port, "timeout": 5} | smtp}
    )  # fmt: skip


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"bot", b"s3cret")
    return AuthResult(success=ok, handled=False)


def test_starttls_with_login(
    smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory
) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, tls_context=server_context, require_starttls=True, authenticator=_authenticator)
    asyncio.run(send_email(channel_for(port, starttls=True, username="bot", password="s3cret"), make_alert()))
    assert len(handler.messages) == 1


def test_implicit_tls(smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, ssl_context=server_context)
    asyncio.run(send_email(channel_for(port, ssl=True, starttls=False), make_alert()))
    assert len(handler.messages) == 1


def test_untrusted_certificate_is_refused(
    smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    handler = RecordingHandler()
    port = smtp_server(handler, ssl_context=server_context)
    with pytest.raises(NotifyError) as caught:
        asyncio.run(send_email(channel_for(port, ssl=True, starttls=False), make_alert()))
    assert caught.value.permanent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert handler.messages == []


class TlsRecordingHandler(RecordingHandler):
    """Also remembers, per message, whether the session was inside TLS when DATA arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.over_tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.over_tls.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)


def test_starttls_auto_sends_through_a_plain_local_relay(smtp_server: SmtpFactory, make_alert: AlertFactory) -> None:
    """No `starttls:` key against a relay that offers no STARTTLS: the message goes (it failed before)."""
    handler = TlsRecordingHandler()
    port = smtp_server(handler)
    channel = channel_for(port)
    assert channel.smtp.starttls == "auto"
    asyncio.run(send_email(channel, make_alert()))
    assert handler.over_tls == [False] and len(handler.messages) == 1


def test_starttls_auto_uses_tls_when_the_server_offers_it(
    smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory
) -> None:
    handler = TlsRecordingHandler()
    port = smtp_server(handler, tls_context=server_context)
    asyncio.run(send_email(channel_for(port), make_alert()))
    assert handler.over_tls == [True]


def test_starttls_auto_with_a_login_refuses_a_server_without_tls(
    smtp_server: SmtpFactory, make_alert: AlertFactory
) -> None:
    """With credentials, auto insists on STARTTLS: the password is never sent in clear."""
    handler = TlsRecordingHandler()
    attempts: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        attempts.append(mechanism)
        return AuthResult(success=True, handled=False)

    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    with pytest.raises(NotifyError) as caught:
        asyncio.run(send_email(channel_for(port, username="bot", password="s3cret"), make_alert()))
    assert "STARTTLS" in str(caught.value)
    assert attempts == [] and handler.messages == []


def test_starttls_auto_with_a_login_logs_in_over_tls(
    smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory
) -> None:
    handler = TlsRecordingHandler()
    port = smtp_server(handler, tls_context=server_context, authenticator=_authenticator)
    asyncio.run(send_email(channel_for(port, username="bot", password="s3cret"), make_alert()))
    assert handler.over_tls == [True]


def test_starttls_false_sends_plain_and_refuses_a_clear_login_to_a_remote_host(
    smtp_server: SmtpFactory, server_context: ssl.SSLContext, make_alert: AlertFactory
) -> None:
    handler = TlsRecordingHandler()
    port = smtp_server(handler, tls_context=server_context)
    asyncio.run(send_email(channel_for(port, starttls=False), make_alert()))
    assert handler.over_tls == [False]
    with pytest.raises(ValueError, match="in clear"):
        EmailChannel.model_validate(
            {"id": "mail", "type": "email", "from": "m@example.org", "to": ["a@example.org"],
             "smtp": {"host": "smtp.example.org", "starttls": False, "username": "bot", "password": "x"}}
        )  # fmt: skip
