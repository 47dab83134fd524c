"""Subjects and sender names in Russian, Arabic (RTL) and mixed scripts, short and long, arrive exactly as written:
sent to a real aiosmtpd (with and without SMTPUTF8) and parsed back from the raw bytes with ``email.policy.default``."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy
from email.header import decode_header

import pytest
from notify_peers import AlertFactory, RecordingHandler, SmtpFactory

from monitor.config import EmailChannel
from monitor.notify.email import submit_email
from monitor.notify.render import email_subject
from monitor.notify.templates import build_email

TITLES = {
    "russian-short": "Россия и Сирия",
    "russian-long": "Россия сохранит военные базы в Тартусе и Хмеймиме, заявил источник в министерстве обороны",
    "arabic-short": "قاعدة طرطوس",
    "arabic-long": "روسيا تحتفظ بقاعدتيها العسكريتين في طرطوس وحميميم وفقا لمصدر في وزارة الدفاع الروسية",
    "mixed-short": "Tartus: Тартус / طرطوس",
    "mixed-long": "Port of Tartus — порт Тартус — ميناء طرطوس: talks resume, переговоры возобновились, "
    "المحادثات تستأنف",
    "english-long": "Talks on the future of the Tartus naval facility resume after a long pause, "
    "officials in Moscow say",
}


def _channel(port: int, sender: str = "monitor@example.org") -> EmailChannel:
    return EmailChannel.model_validate(
        {
            "id": "mail",
            "type": "email",
            "from": sender,
            "to": ["desk@example.org"],
            "smtp": {"host": "127.0.0.1", "port": port, "starttls": False, "timeout": 5},
        }
    )


@pytest.mark.parametrize("smtputf8", [False, True], ids=["7bit-server", "smtputf8-server"])
@pytest.mark.parametrize("name", list(TITLES))
def test_subject_arrives_exactly_as_written(
    smtp_server: SmtpFactory, make_alert: AlertFactory, name: str, smtputf8: bool
) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, enable_SMTPUTF8=smtputf8)
    topic = "Российские базы в Сирии" if name.startswith("russian") else "Russian bases in Syria"
    alert = make_alert(article_title=TITLES[name], topic_title=topic)
    asyncio.run(submit_email(_channel(port), alert))
    [(_, _, raw)] = handler.messages
    headers = raw.split(b"\r\n\r\n")[0]
    assert headers.isascii(), "headers travel as 7-bit encoded words whatever the server offers"
    assert max(len(line) for line in headers.split(b"\r\n")) <= 78
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == email_subject(alert) == f"[monitor] {topic}: {TITLES[name]}"


@pytest.mark.parametrize("name", list(TITLES))
def test_built_message_bytes_round_trip(make_alert: AlertFactory, name: str) -> None:
    alert = make_alert(article_title=TITLES[name])
    built = build_email(alert, sender="monitor@example.org", recipients=["desk@example.org"])
    parsed = message_from_bytes(built.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == built["Subject"] == email_subject(alert)


NAMES = [
    "Монитор новостей",
    "مراقب الأخبار العربية",
    "Monitor — Мониторинг новостей о военных базах России в Сирии и مراقب الأخبار",
    "Desk, Night shift",
]


@pytest.mark.parametrize("smtputf8", [False, True], ids=["7bit-server", "smtputf8-server"])
@pytest.mark.parametrize("name", NAMES)
def test_sender_display_name_arrives_exactly_as_written(
    smtp_server: SmtpFactory, make_alert: AlertFactory, name: str, smtputf8: bool
) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler, enable_SMTPUTF8=smtputf8)
    sender = f'"{name}" <monitor@example.org>' if "," in name else f"{name} <monitor@example.org>"
    asyncio.run(submit_email(_channel(port, sender), make_alert()))
    [(envelope_from, _, raw)] = handler.messages
    assert envelope_from == "monitor@example.org"
    headers = raw.split(b"\r\n\r\n")[0]
    assert headers.isascii() and max(len(line) for line in headers.split(b"\r\n")) <= 78
    parsed = message_from_bytes(raw, policy=policy.default)
    if len(name.encode()) <= 40:  # one encoded word
        [address] = parsed["From"].addresses
        assert (address.display_name, address.addr_spec) == (name, "monitor@example.org")
    else:
        # A longer name is split inside words, as RFC 2047 clients join it (Python's address parser, unlike its
        # subject parser, keeps a space between two encoded words, so decode the raw header as mail clients do).
        assert parsed["From"].addresses[0].addr_spec == "monitor@example.org"
        field = re.search(rb"^From: (.*?)\r\n(?! )", headers + b"\r\n", re.MULTILINE | re.DOTALL)
        assert field is not None
        phrase = re.sub(rb"\r\n ", b" ", field.group(1)).decode().rsplit(" <", 1)[0]
        assert "".join(part.decode() for part, _ in decode_header(phrase)) == name, phrase
