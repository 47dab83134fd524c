"""Secrets (webhook signing secrets, SMTP passwords) never appear in logs, `monitor check`, /metrics, /healthz,
`monitor deliveries` or error messages, even when a hostile SMTP server echoes the password back in its refusal."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from delivery_peers import MailBox, free_port, write_config
from hostile_kit import Answer, EvilSite, Receiver, feed, item, monitor_cli, serve, story_text, wait_until

Defence = Callable[[str], None]
SECRET = "whsec_" + base64.b64encode(b"hostile-suite-signing-key-0042").decode()
PASSWORD = "Correct-Horse-7431-hostile"
ENV = {"HOSTILE_WEBHOOK_SECRET": SECRET, "HOSTILE_SMTP_PASSWORD": PASSWORD}


def leaks(text: str) -> list[str]:
    """Return which secrets (or their distinctive parts) occur in ``text``."""
    needles = {
        "webhook secret": SECRET,
        "secret key": SECRET.removeprefix("whsec_"),
        "smtp password": PASSWORD,
        "password base64": base64.b64encode(PASSWORD.encode()).decode()[:16],
    }
    return [name for name, needle in needles.items() if needle in text]


def echoing_authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """A hostile server: refuses the login and quotes the password back in its error."""
    password = getattr(auth_data, "password", b"")
    shown = password.decode() if isinstance(password, bytes) else str(password)
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 wrong password {shown}")


@pytest.mark.slow
def test_secrets_never_leak(tmp_path: Path, defence: Defence) -> None:
    box = MailBox(port=free_port())
    smtp = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=echoing_authenticator, auth_require_tls=False
    )
    smtp.start()
    health = free_port()
    try:
        with EvilSite() as site, Receiver([SECRET]) as receiver:
            receiver.default = Answer(status=401)  # refused: an error message is built and stored
            site.routes["/feed.xml"] = serve(feed([item(n, title=f"Tartus {n}", text=story_text(n)) for n in range(3)]))
            config = write_config(
                tmp_path,
                [
                    {"id": "hook", "type": "webhook", "url": receiver.url, "secret": "${HOSTILE_WEBHOOK_SECRET}"},
                    {
                        "id": "desk",
                        "type": "email",
                        "from": "monitor@example.org",
                        "to": ["desk@example.org"],
                        "smtp": {
                            "host": "127.0.0.1",
                            "port": box.port,
                            "starttls": False,
                            "username": "monitor",
                            "password": "${HOSTILE_SMTP_PASSWORD}",
                        },
                    },
                ],
                [{"topics": ["tartus"], "channels": ["hook", "desk"]}],
                sources=[{"name": "Feed", "url": site.url("/feed.xml"), "interval": "1h"}],
                fetch={"allow_private_networks": True, "fetch_articles": False, "timeout": "5s"},
                health={"enabled": True, "listen": f"127.0.0.1:{health}"},
            )
            outputs: dict[str, str] = {}
            check = monitor_cli("check", "-c", str(config), env=ENV)
            assert check.returncode == 0, check.stderr
            outputs["monitor check"] = check.stdout + check.stderr
            with (tmp_path / "daemon.log").open("wb") as log:
                daemon = subprocess.Popen(
                    [sys.executable, "-m", "monitor", "run", "-v", "-c", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **ENV, "PYTHONUNBUFFERED": "1"},
                )
            try:
                assert wait_until(lambda: len(receiver.got) >= 3, timeout=30)
                log_text = (tmp_path / "daemon.log").read_text
                # The SMTP server's refusals (which echo the password) are logged too: one per alert.
                assert wait_until(lambda: log_text(errors="replace").count("wrong password") >= 3, timeout=30)
                base = f"http://127.0.0.1:{health}"
                outputs["/metrics"] = httpx.get(f"{base}/metrics", timeout=5).text
                outputs["/healthz"] = httpx.get(f"{base}/healthz", timeout=5).text
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(20)
            outputs["daemon log (-v)"] = (tmp_path / "daemon.log").read_text(errors="replace")
            once = monitor_cli("once", "-v", "-c", str(config), env=ENV)
            outputs["monitor once -v"] = once.stdout + once.stderr
            for args in (("deliveries", "--failed"), ("deliveries", "--json"), ("hits",), ("sources",)):
                done = monitor_cli(*args, "-c", str(config), env=ENV)
                outputs["monitor " + " ".join(args)] = done.stdout + done.stderr
            (tmp_path / "monitor.yaml").write_text(
                (tmp_path / "monitor.yaml").read_text() + "\nbogus_key: 1\n", encoding="utf-8"
            )
            bad = monitor_cli("check", "-c", str(config), env=ENV)
            outputs["monitor check (invalid config)"] = bad.stdout + bad.stderr
    finally:
        smtp.stop()
    assert "wrong password" in outputs["daemon log (-v)"], outputs["daemon log (-v)"][-3000:]  # the echo happened
    found = {where: leaks(text) for where, text in outputs.items() if leaks(text)}
    assert found == {}, found
    defence(
        f"secrets from the environment; checked {len(outputs)} outputs ({', '.join(outputs)}); the SMTP server "
        "echoed the password in its 535 refusal: masked in logs and in the stored error"
    )
