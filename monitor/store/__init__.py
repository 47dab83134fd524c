"""The store stage: every read and write of the SQLite database goes through this package."""

from monitor.store.articles import SavedArticle, find_article, insert_article, mark_seen, save_article
from monitor.store.db import Db, Rows, database_name, open_database, schema_version
from monitor.store.deliveries import (
    PendingDelivery,
    adopt_route_keys,
    delivery_counts,
    mark_delivery_failed,
    mark_delivery_sent,
    pending_deliveries,
    record_hits,
)
from monitor.store.sources import (
    SourceRow,
    SourceState,
    enable_source,
    list_sources,
    record_poll_failure,
    record_poll_success,
    source_state,
    sync_sources,
)

__all__ = [
    "Db",
    "PendingDelivery",
    "Rows",
    "SavedArticle",
    "SourceRow",
    "SourceState",
    "adopt_route_keys",
    "database_name",
    "delivery_counts",
    "enable_source",
    "find_article",
    "insert_article",
    "list_sources",
    "mark_delivery_failed",
    "mark_delivery_sent",
    "mark_seen",
    "open_database",
    "pending_deliveries",
    "record_hits",
    "record_poll_failure",
    "record_poll_success",
    "save_article",
    "schema_version",
    "source_state",
    "sync_sources",
]
