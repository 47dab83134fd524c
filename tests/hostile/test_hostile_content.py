"""Content attacks through the whole pipeline to a real SMTP server and a verifying webhook receiver:
header injection, script and javascript: links, 10 MB titles, right-to-left overrides."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller
from delivery_peers import MailBox, free_port, write_config
from hostile_kit import LEDGER, EvilSite, Receiver, feed, item, serve, story_text

from monitor.config import load_config
from monitor.daemon import run_once
from monitor.notify.render import clean_header_text
from monitor.textutil import BIDI_CONTROLS

Defence = Callable[[str], None]
SECRET = "whsec_" + "aG9zdGlsZS1zdWl0ZS1zZWNyZXQta2V5LTAx"
RLO = "\u202e"
INJECTED = "Tartus port\r\nBcc: victim@evil.example\r\nX-Injected: yes"
SCRIPT = '<script>alert(1)</script> Tartus <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a>'
HUGE = "Tartus " + "A" * 10_000_000
SPOOF = f"Tartus invoice {RLO}fdp.exe"


def hostile_feed(site: EvilSite) -> bytes:
    return feed(
        [
            item(1, title=INJECTED, text=story_text(1), author="Mallory\r\nCc: everyone@evil.example"),
            item(2, title=SCRIPT, text=story_text(2), link=site.url("/script.html")),
            item(3, title=HUGE, text=story_text(3)),
            item(4, title=SPOOF, text=story_text(4), author=f"{RLO}evil"),
        ]
    )


SCRIPT_PAGE = (
    b"<html><head><title>Tartus &lt;script&gt;</title><link rel=canonical href='javascript:alert(4)'>"
    b"<meta property='og:url' content='javascript:alert(5)'><script>alert(6)</script></head><body><article>"
    + b"<p>Tartus harbour report <a href='javascript:alert(7)'>link</a> with text.</p>" * 30
    + b"<p onclick='alert(8)'><script>document.cookie</script>More Tartus text.</p></article></body></html>"
)


def test_content_attacks_reach_receivers_harmless(tmp_path: Path, defence: Defence) -> None:
    box = MailBox(port=free_port())
    smtp = Controller(box, hostname="127.0.0.1", port=box.port)
    smtp.start()
    try:
        with EvilSite() as site, Receiver([SECRET]) as receiver:
            site.routes["/feed.xml"] = serve(hostile_feed(site))
            site.routes["/script.html"] = serve(SCRIPT_PAGE, "text/html")
            config = write_config(
                tmp_path,
                [
                    {"id": "hook", "type": "webhook", "url": receiver.url, "secret": SECRET},
                    {
                        "id": "desk",
                        "type": "email",
                        "from": "monitor@example.org",
                        "to": ["desk@example.org"],
                        "smtp": {"host": "127.0.0.1", "port": box.port, "starttls": False},
                    },
                ],
                [{"topics": ["tartus"], "channels": ["hook", "desk"]}],
                sources=[{"name": "Evil feed", "url": site.url("/feed.xml")}],
                fetch={
                    "allow_private_networks": True,
                    "fetch_articles": True,
                    "min_delay": 0,
                    "robots_txt": False,
                    "max_bytes": "30MB",
                    "timeout": "20s",
                },
            )
            stats = asyncio.run(run_once(load_config(config)))
            got = receiver.wait_for(4, timeout=5)
    finally:
        smtp.stop()
    assert stats.sources_ok == 1 and stats.hits == 4, stats.summary()
    arrived = [(g.webhook_id, g.payload["data"]["article"]["url"]) for g in got if g.verified]
    arrived += [(str(m["Message-ID"]), "mail:" + str(m["Message-ID"])) for m in box.messages]
    delivered, duplicated, lost = LEDGER.add(expected=8, arrived=arrived)
    assert (delivered, duplicated, lost) == (8, 0, 0)

    # Header injection: every email has exactly the headers we set, one recipient, subject on one line.
    for message in box.messages:
        names = {name.lower() for name in message}
        assert "bcc" not in names and "cc" not in names and "x-injected" not in names
        assert message["To"] == "desk@example.org"
        assert "\n" not in str(message["Subject"]) and len(str(message["Subject"])) < 400
    subjects = [str(m["Subject"]) for m in box.messages]
    assert any("Bcc: victim@evil.example" in s for s in subjects)  # shown as text, harmlessly

    # Scripts: escaped in the HTML part, no javascript: link anywhere; the webhook JSON carries plain text.
    for message in box.messages:
        body = message.get_body(("html",))
        assert body is not None
        html = body.get_content()
        assert "<script" not in html.lower() and "javascript:" not in html.lower() and "onerror=" not in html
    payloads = [g.payload["data"] for g in got]
    assert all(not p["article"]["url"].startswith("javascript") for p in payloads)

    # 10 MB title: cut to 1,000 characters in storage, webhook and email.
    assert max(len(p["article"]["title"]) for p in payloads) <= 1000
    assert max(len(g.headers.get("content-length", "0")) for g in got) <= 6  # bodies < 1 MB

    # Right-to-left override: gone from every alert (webhook, subject, both email parts).
    everything = " ".join(str(p) for p in payloads) + " ".join(m.as_string() for m in box.messages)
    assert not any(ch in everything for ch in BIDI_CONTROLS)
    assert clean_header_text(f"a{RLO}b\u2066c") == "abc"
    defence(
        "CR/LF titles and bylines: no injected header (Bcc/Cc/X-Injected absent, subject one line); "
        "<script>, onerror and javascript: escaped or dropped in email HTML; 10 MB title stored and sent as "
        "1,000 chars; U+202E and other bidi overrides removed; 8 of 8 alerts delivered, signatures verified"
    )
