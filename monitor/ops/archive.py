"""``monitor db stats``: the database file on disk and what the store counts in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.store import Db, maintenance
from monitor.store.health import last_heartbeat


def database_stats(db: Db, path: Path | None) -> dict[str, Any]:
    """Return file sizes, page use, vacuum mode, rows (and bytes, where SQLite can tell) per table."""
    files = {}
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{path}{suffix}")
            files[file.name] = file.stat().st_size if file.exists() else 0
    sizes = maintenance.table_bytes(db)
    tables = {name: {"rows": rows, "bytes": sizes.get(name)} for name, rows in maintenance.table_rows(db).items()}
    oldest, newest = maintenance.article_span(db)
    return {
        "path": str(path) if path else db.name,
        "files": files,
        **maintenance.file_stats(db),
        "articles_from": oldest,
        "articles_to": newest,
        "last_heartbeat": last_heartbeat(db),
        "tables": tables,
    }
