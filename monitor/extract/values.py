"""Normalise metadata values: dates, languages, authors, titles, URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser

from monitor.extract.selectors import TITLE_SEPARATORS

_SPACE = re.compile(r"\s+")
_BY_PREFIX = re.compile(r"^\s*(by|par|von|por|di|door|от|автор|بقلم)\s*[:\s]\s*", re.IGNORECASE)
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")
# Bylines on many sites list several names in one string.
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\bund\b|\bet\b|\by\b|\bи\b|\bو\b)\s*")
_BYLINE_TAIL = re.compile(
    r"\s+[-|•—–]\s+|\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\s*\d|\s@|\n",
    re.IGNORECASE,
)
_EPOCH_DIGITS = re.compile(r"^\d{10}(\d{3})?$")
_NO_YEAR = datetime(1900, 1, 1)
# Zone abbreviations news pages print; dateutil knows only UTC/GMT and warns about the rest.
_ZONES = {
    name: int(hours * 3600)
    for name, hours in (
        ("UTC", 0), ("GMT", 0), ("Z", 0), ("ET", -5), ("EST", -5), ("EDT", -4), ("CT", -6), ("CST", -6),
        ("CDT", -5), ("MT", -7), ("MST", -7), ("MDT", -6), ("PT", -8), ("PST", -8), ("PDT", -7), ("BST", 1),
        ("CET", 1), ("CEST", 2), ("EET", 2), ("EEST", 3), ("MSK", 3), ("IST", 5.5), ("JST", 9), ("AEST", 10),
        ("AEDT", 11),
    )
}  # fmt: skip
# A printed date needs a year and another number (a day): "© 2015 Salon" is not a date.
_PRINTED_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d).*?\d|\d.*?(?<!\d)(?:19|20)\d\d(?!\d)", re.DOTALL)
_UPDATED = re.compile(r"^\W*(?:last\s+)?(?:updated|modified|aktualisiert|mis à jour|actualizado)", re.IGNORECASE)


def clean_space(value: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return _SPACE.sub(" ", value).strip()


def parse_date(value: object) -> datetime | None:
    """Parse an ISO or free-form date into an aware datetime (naive means UTC); None if hopeless."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = clean_space(str(value))
    if not text or len(text) > 80:
        return None
    result: datetime | None = None
    try:
        if _EPOCH_DIGITS.match(text):
            seconds = int(text[:10])
            result = datetime.fromtimestamp(seconds, tz=UTC)
        else:
            try:
                result = dateparser.isoparse(text)
            except (ValueError, OverflowError):
                # Missing fields would come from today's date; year 1900 makes such dates fail below.
                result = dateparser.parse(text, default=_NO_YEAR, tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None
    return _plausible(result)


def parse_printed_date(value: str) -> datetime | None:
    """Parse a date as pages print it ("posted on April 21, 2015, at 11:29 a.m."); None unless it has a full
    date, or if it says it is an update."""
    text = clean_space(value)
    if not text or len(text) > 80 or _UPDATED.match(text) or not _PRINTED_DATE.search(text):
        return None
    try:
        result = dateparser.parse(text, default=_NO_YEAR, fuzzy=True, tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None
    return _plausible(result)


def _plausible(result: datetime | None) -> datetime | None:
    if result is None or not 1990 <= result.year <= 2100:
        return None
    if result.tzinfo is None or result.utcoffset() is None:
        result = result.replace(tzinfo=UTC)
    return result


def normalise_language(value: object) -> str | None:
    """Return the ISO 639 primary subtag ("en" for "en-US", "pt" for "pt_BR"), lower-cased."""
    if not isinstance(value, str):
        return None
    match = _LANG.match(value.strip())
    if match is None:
        return None
    code = match.group(1).lower()
    return None if code in {"und", "mul", "zxx", "xx"} else code


def split_authors(values: list[str]) -> tuple[str, ...]:
    """Clean and de-duplicate author names, dropping URLs, handles and empty strings."""
    seen: dict[str, str] = {}
    for raw in values:
        # A byline often runs on into its date or a handle: "Dan Goodin - Apr 16, 2015".
        text = _BYLINE_TAIL.split(_BY_PREFIX.sub("", clean_space(raw)), maxsplit=1)[0]
        if not text or "://" in text or text.startswith(("@", "www.")) or len(text) > 120:
            continue
        parts = _AUTHOR_SPLIT.split(text) if len(text) > 40 or "," in text or " and " in text else [text]
        for part in parts:
            name = part.strip(" -–—|·()")
            # Short Latin tokens ("MA", "PhD") are credentials; CJK names are two or three characters.
            too_short = len(name) < 2 or (name.isascii() and len(name) <= 3)
            if not too_short and not any(c.isdigit() for c in name):
                seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def resolve_url(value: object, base: str | None) -> str | None:
    """Resolve a possibly relative URL against ``base``; None unless the result is http(s)."""
    if not isinstance(value, str) or not value.strip():
        return None
    candidate = value.strip()
    try:
        resolved = urljoin(base, candidate) if base else candidate
        scheme = urlsplit(resolved).scheme
    except ValueError:
        return None
    return resolved if scheme in {"http", "https"} else None


def clean_title(title: str, site_name: str | None = None, headline: str | None = None) -> str:
    """Strip " | Site name"-style affixes from a page title."""
    title = clean_space(title)
    if headline:
        head = clean_space(headline)
        if head and head in title:
            return head
    site = clean_space(site_name).casefold() if site_name else ""
    for sep in TITLE_SEPARATORS:
        if sep not in title:
            continue
        parts = title.split(sep)
        if site:
            kept = [p for p in parts if p.strip().casefold() != site]
            if 0 < len(kept) < len(parts):
                return sep.join(kept).strip()
        # Without a known site name, strip only one short label ("Headline - Site"); more parts are
        # likely the headline's own dashes ("Mugabe - the final days - in pictures").
        if len(parts) == 2:
            head, tail = sorted(parts, key=len, reverse=True)
            if len(head.split()) >= 3 and len(tail.split()) <= 4:
                return head.strip()
    return title
