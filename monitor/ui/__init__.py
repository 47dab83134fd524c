"""``monitor ui``: the archive in a browser, served by a small local HTTP server (no JavaScript, no internet).

Pages: hits per topic over time (home), recent hits, stories with their outlets over time, search and explain
with the daemon's own matcher, source health, failed deliveries, monitor health.
"""

from monitor.ui.pages import VIEWS, UiApp
from monitor.ui.serve import page_url, serve_ui

__all__ = ["VIEWS", "UiApp", "page_url", "serve_ui"]
