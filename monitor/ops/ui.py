"""Browse the archive in Datasette (an optional extra): canned queries so users need not write SQL.

Datasette 0.6x reads canned queries from its metadata file (``databases.<name>.queries``). The queries only read;
Datasette opens a database that may change (the daemon writes it) without locking writers out.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

INSTALL_HINT = "monitor ui needs Datasette: pip install 'monitor[ui]' (or: pip install 'datasette<1.0')"

QUERIES: dict[str, dict[str, Any]] = {
    "recent_hits": {
        "title": "Recent hits",
        "description": "The newest hits, optionally of one topic (leave topic empty for all).",
        "sql": (
            "SELECT h.created_at, h.topic_id AS topic, h.score, a.title, a.url, coalesce(s.name, a.site_name) AS"
            " source, a.language FROM hits h JOIN articles a ON a.id = h.article_id"
            " LEFT JOIN sources s ON s.id = a.source_id"
            " WHERE :topic = '' OR h.topic_id = :topic ORDER BY h.created_at DESC LIMIT 500"
        ),
    },
    "hits_per_topic": {
        "title": "Hits per topic",
        "description": "Hits per topic in the last 24 hours, 7 days and in total, with the newest.",
        "sql": (
            "SELECT topic_id AS topic, min(topic_title) AS title,"
            " sum(created_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')) AS last_24h,"
            " sum(created_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days')) AS last_7d,"
            " count(*) AS total, max(created_at) AS newest FROM hits GROUP BY topic_id"
            " ORDER BY last_24h DESC, total DESC"
        ),
    },
    "source_health": {
        "title": "Source health",
        "description": "Every source: failures in a row, last success, last error, next poll; failing ones first.",
        "sql": (
            "SELECT name, coalesce(current_url, url) AS url,"
            " CASE WHEN disabled THEN 'disabled' WHEN consecutive_failures > 0 THEN 'failing'"
            " WHEN last_success_at IS NULL THEN 'new' ELSE 'ok' END AS health,"
            " consecutive_failures, last_success_at, last_new_item_at, last_status, last_error, last_error_at,"
            " next_poll_at, disabled_reason FROM sources"
            " ORDER BY disabled DESC, consecutive_failures DESC, name COLLATE NOCASE"
        ),
    },
    "failed_deliveries": {
        "title": "Failed deliveries",
        "description": "Alerts not delivered (refused for good, or given up): see `monitor deliveries retry`.",
        "sql": (
            "SELECT d.id, d.status, d.channel_id AS channel, h.topic_id AS topic, a.title, a.url, d.attempts,"
            " d.last_error, d.created_at FROM deliveries d JOIN hits h ON h.id = d.hit_id"
            " JOIN articles a ON a.id = h.article_id WHERE d.status IN ('failed', 'dead') ORDER BY d.id DESC"
        ),
    },
    "monitor_health": {
        "title": "Monitor health",
        "description": "Conditions about the monitor that are true now, then the newest spike and health notices.",
        "sql": (
            "SELECT 'active' AS kind, condition, subject, detail AS title, started_at AS at FROM monitor_conditions"
            " UNION ALL SELECT * FROM (SELECT state, condition, subject, title, created_at FROM notices"
            " ORDER BY id DESC LIMIT 200)"
        ),
    },
}


def datasette_metadata(database: Path) -> dict[str, Any]:
    """Return Datasette metadata for ``database``: a title and the canned queries under its database name."""
    return {
        "title": "monitor archive",
        "description": "Articles, hits, sources and deliveries of the monitor daemon. Canned queries below.",
        "databases": {database.stem: {"queries": QUERIES}},
    }


def datasette_available() -> bool:
    """Return True when Datasette can be imported by this interpreter."""
    return importlib.util.find_spec("datasette") is not None


def datasette_command(database: Path, metadata: Path, *, host: str, port: int, open_browser: bool) -> list[str]:
    """Return the command line that serves ``database`` with ``metadata`` on ``host:port``."""
    command = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(database),
        "--metadata",
        str(metadata),
        "--host",
        host,
        "--port",
        str(port),
    ]
    if open_browser:
        command.append("--open")
    return command
