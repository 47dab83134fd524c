"""The address each source type polls, built from its config keys in one place (tests point ``url`` elsewhere)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.config.schema import SourceConfig

TELEGRAM = "https://t.me"
GOOGLE_NEWS = "https://news.google.com/rss/search"
# The country edition of a language without a region in ``hl`` (Google's own pairing); others default to US.
GOOGLE_NEWS_EDITIONS = {"ru": "RU", "uk": "UA", "ar": "EG", "fr": "FR", "de": "DE", "tr": "TR", "he": "IL", "fa": "IR"}
GDELT_DOC = "https://api.gdeltproject.org/api/v2/doc/doc"
# GDELT's most per call; its window is three months, but a poll every few minutes needs only the last day.
GDELT_MAX_RECORDS = 250
GDELT_TIMESPAN = "1d"


def poll_url(entry: SourceConfig) -> str:
    """Return the URL a source is polled at (and its id is derived from)."""
    if entry.type == "telegram":
        return telegram_url(entry.url, entry.channel)
    if entry.type == "googlenews":
        return google_news_url(entry.url, entry.query, hl=entry.hl, gl=entry.gl)
    if entry.type == "gdelt":
        return gdelt_url(
            entry.url,
            entry.query,
            sourcelang=entry.sourcelang,
            sourcecountry=entry.sourcecountry,
            timespan=entry.timespan,
        )
    assert entry.url is not None  # the model insists for the other types
    return entry.url


def telegram_url(url: str | None, channel: str | None) -> str:
    """Return the web preview of a public channel: ``https://t.me/s/NAME`` for ``channel: NAME``, for
    ``t.me/NAME``, ``t.me/s/NAME`` or a post's link; on the host given when ``url`` is elsewhere (telegram.me,
    a mirror)."""
    base = TELEGRAM
    name = (channel or "").lstrip("@")
    if url is not None:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        segments = [s for s in parts.path.split("/") if s and s != "s"]
        name = name or (segments[0].lstrip("@") if segments else "")
    return f"{base}/s/{name}"


def _with_params(url: str, params: dict[str, str]) -> str:
    """Return ``url`` with ``params`` set in its query string (others it has are kept)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def google_news_url(url: str | None, query: str | None, *, hl: str | None, gl: str | None) -> str:
    """Return a Google News search feed: ``q``, language ``hl``, country ``gl`` and the edition ``ceid`` they make."""
    if query is None:
        assert url is not None
        return url  # a search feed's own URL, pasted whole
    language = hl or "en-US"
    base = language.split("-")[0].lower()
    country = (gl or (language.split("-")[1] if "-" in language else GOOGLE_NEWS_EDITIONS.get(base, "US"))).upper()
    params = {"q": query, "hl": language, "gl": country, "ceid": f"{country}:{base}"}
    return _with_params(url or GOOGLE_NEWS, params)


def gdelt_url(
    url: str | None, query: str | None, *, sourcelang: str | None, sourcecountry: str | None, timespan: str | None
) -> str:
    """Return a GDELT DOC 2.0 ArtList query in JSON, newest first, as many records as one call gives."""
    if query is None:
        assert url is not None
        return url
    # The language and country filters are operators inside GDELT's query string, not parameters of their own.
    terms = [query]
    if sourcelang:
        terms.append(f"sourcelang:{sourcelang}")
    if sourcecountry:
        terms.append(f"sourcecountry:{sourcecountry}")
    params = {
        "query": " ".join(terms),
        "mode": "ArtList",
        "format": "json",
        "maxrecords": str(GDELT_MAX_RECORDS),
        "sort": "DateDesc",
        "timespan": timespan or GDELT_TIMESPAN,
    }
    return _with_params(url or GDELT_DOC, params)
