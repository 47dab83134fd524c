"""Feed dates as written by the world: ISO 8601, RFC 822 with zone names, Greek, Korean, day-first (pure).

feedparser's date handlers (RFC 822 with the US and MET zones, W3CDTF, Greek, Hungarian, Korean...) do most
of the work; before them we turn zone names they do not know (CEST, BST, JST, AEST, MSK...) into offsets, and
after them python-dateutil reads what is left, day first unless the feed says it is American. Nothing here
depends on optional packages (fastfeedparser would use ``dateparser`` when installed; we never ask it).
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from dateutil import parser as dateutil_parser
from feedparser.datetimes import (
    _parse_date as feedparser_date,
)
from feedparser.datetimes import (
    _parse_date_greek,
    _parse_date_hungarian,
    _parse_date_iso8601,
    _parse_date_nate,
    _parse_date_onblog,
    _parse_date_w3dtf,
)

# Zone abbreviations seen in feeds, in minutes east of UTC. Where one name means two zones (IST, CST), the
# reading of the feeds that use it most: IST in India, CST in the US (as RFC 822 has it).
ZONES: dict[str, int] = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "IST": 330,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "MEZ": 60,
    "MESZ": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "MSD": 240,
    "TRT": 180,
    "AST": -240,
    "ADT": -180,
    "AT": -240,
    "EST": -300,
    "EDT": -240,
    "ET": -300,
    "CST": -360,
    "CDT": -300,
    "CT": -360,
    "MST": -420,
    "MDT": -360,
    "MT": -420,
    "PST": -480,
    "PDT": -420,
    "PT": -480,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "JST": 540,
    "KST": 540,
    "HKT": 480,
    "SGT": 480,
    "PHT": 480,
    "WIB": 420,
    "ICT": 420,
    "AWST": 480,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
}
# The names feedparser's RFC 822 reader knows; it takes any other as UTC without a word, so we turn those into
# offsets before it sees them.
_FEEDPARSER_ZONES = frozenset(
    {
        "UT",
        "UTC",
        "GMT",
        "Z",
        "ADT",
        "AST",
        "AT",
        "EDT",
        "EST",
        "ET",
        "CDT",
        "CST",
        "CT",
        "MDT",
        "MST",
        "MT",
        "PDT",
        "PST",
        "PT",
        "MET",
        "MEST",
    }
)
# feedparser's handlers for dates in other scripts and languages; its general entry point tries ISO 8601 on them
# first, which reads "2004-j\u00falius-13" as a year alone.
_NON_ASCII = (_parse_date_greek, _parse_date_hungarian, _parse_date_nate, _parse_date_onblog)
_TRAILING_ZONE = re.compile(r"(?<=\d)\s+\(?([A-Z]{2,5})\)?$")
_DOTTED = re.compile(r"^\s*(?:\w+,?\s+)?\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b")
_SLASHED = re.compile(r"^\s*(?:\w+,?\s+)?\d{1,2}/\d{1,2}/\d{2,4}\b")
# dateutil reads almost anything; we let it try only text with a month or day name in it.
_WORD = re.compile(r"[^\W\d_]{3,}")
# A date that starts with a four-digit year is W3CDTF (ISO 8601) or nothing: feedparser's general entry point
# would read "2003-12-31T25:14:55Z" as the next morning and "2013-xx-27" as December.
# Most feeds write this; Python reads it fastest. (fromisoformat also takes "2013-01-27-01" and "22013".)
_ISO_FAST = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?$")
# The RFC 822 layout of most RSS feeds, with a numeric zone or GMT: read directly (feedparser's handlers take 10 us).
_RFC822_FAST = re.compile(
    r"^(?:[A-Z][a-z]{2}, )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) (?:GMT|UTC|UT|Z|([+-])(\d\d)(\d\d))$"
)
_MONTHS = {name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}  # noqa: SIM905
_YEAR_FIRST = re.compile(r"^\d{4}(?:$|-)")
_YEAR_FIRST_OTHER = re.compile(r"^\d{4}[/.]\d")
# ISO 8601's two-digit-year forms ("031231", "03-12-31", "-0312"); five bare digits are left alone, being
# a year-and-ordinal ("03335") or a typo ("22013") with nothing to tell the two apart.
_SHORT_ISO = re.compile(r"^-?\d\d-?\d\d(?:-?\d\d)?$")
_MAX_CHARS = 120
_TZINFOS = {name: timezone(timedelta(minutes=minutes)) for name, minutes in ZONES.items()}
_EARLY = datetime(1901, 1, 1)
_LATE = datetime(1902, 2, 2)


def parse_date(text: object, *, month_first: bool = False) -> datetime | None:
    """Return the moment a feed date names, in UTC, or None when it names none we can be sure of.

    ``month_first`` is for slashed dates of American feeds (``06/09/2021`` is June 9th there, 6 September
    elsewhere); dotted dates (``06.09.2021``) are day first everywhere.
    """
    if isinstance(text, time.struct_time):
        return _from_struct(text)
    if not isinstance(text, str):
        return None
    return _parse_text(text, month_first)


# Every poll of a feed reads the same dates again; fastfeedparser caches its date parsing the same way.
@lru_cache(maxsize=8192)
def _parse_text(text: str, month_first: bool) -> datetime | None:
    value = " ".join(text.split())
    if not value or len(value) > _MAX_CHARS:
        return None
    if _ISO_FAST.match(value):
        try:
            return _utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    common = _RFC822_FAST.match(value)
    if common is not None:
        return _from_rfc822(common)
    if not value.isascii():
        for handler in _NON_ASCII:
            struct = handler(value)
            if struct is not None:
                return _from_struct(struct)
    if _YEAR_FIRST.match(value):
        return _from_struct(_parse_date_w3dtf(value))
    if _SHORT_ISO.match(value):
        return _from_struct(_parse_date_iso8601(value))
    if value.isdigit():
        return None
    value = _TRAILING_ZONE.sub(_offset_for, value)
    if _YEAR_FIRST_OTHER.match(value):
        return _dateutil(value, dayfirst=False)
    if _DOTTED.match(value) or _SLASHED.match(value):
        return _dateutil(value, dayfirst=not (month_first and "/" in value))
    struct = feedparser_date(value)
    if struct is not None:
        return _from_struct(struct)
    if not _WORD.search(value):
        return None
    return _dateutil(value, dayfirst=not month_first)


def _from_rfc822(match: re.Match[str]) -> datetime | None:
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    offset = timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0)) * (-1 if sign == "-" else 1)
    try:
        moment = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
        return moment - offset
    except (ValueError, OverflowError):
        return None  # 31 Feb, hour 24, or shifted out of the calendar: not a date


def _offset_for(match: re.Match[str]) -> str:
    minutes = ZONES.get(match.group(1))
    if minutes is None or match.group(1) in _FEEDPARSER_ZONES:
        return match.group(0)
    sign = "+" if minutes >= 0 else "-"
    return f" {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _from_struct(struct: time.struct_time | None) -> datetime | None:
    if struct is None:
        return None
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (ValueError, TypeError):
        return None


def _utc(parsed: datetime) -> datetime | None:
    if parsed.tzinfo is None:
        # A date without a zone is most often UTC in feeds; guessing the server's zone would be worse.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        # Always UTC: dates are stored as ISO text compared as strings, and shown labelled UTC.
        return parsed.astimezone(UTC).replace(microsecond=0)  # feeds' fractions of a second are noise
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range by its offset
        return None


def _dateutil(value: str, *, dayfirst: bool) -> datetime | None:
    """Read ``value`` with dateutil; None unless it names a full date (a part it had to invent differs by default)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names: we fall back to UTC
            first = dateutil_parser.parse(value, default=_EARLY, dayfirst=dayfirst, tzinfos=_TZINFOS)
            second = dateutil_parser.parse(value, default=_LATE, dayfirst=dayfirst, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    if first.date() != second.date():
        return None  # no year, month or day in the text: a date dateutil would complete with today's is no date
    return _utc(first)
