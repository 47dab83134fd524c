"""Chart geometry for the ui pages (pure): bars of hits per day, and a story's articles per outlet over time.

Only coordinates and labels are computed here; the templates draw them as inline SVG (autoescaped), so the
pages need no JavaScript, no build step and nothing from the internet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

BAR_WIDTH, BAR_HEIGHT = 12, 48  # one day's bar and the tallest bar, in SVG units
LANE_HEIGHT, LANES_WIDTH, LABEL_WIDTH = 22, 560, 150


@dataclass(frozen=True, slots=True)
class Bar:
    """One day: its position, height and what a pointer over it says."""

    x: int
    y: float
    height: float
    day: str
    count: int


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars for consecutive days, oldest first, scaled to the busiest day."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    peak: int
    first: str
    last: str
    total: int


def day_bars(per_day: Mapping[str, int], today: date, days: int = 30) -> BarChart:
    """Return one bar per day of the ``days`` days ending ``today`` (days without hits get an empty bar)."""
    dates = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    counts = [per_day.get(d, 0) for d in dates]
    peak = max(counts, default=0)
    bars = []
    for n, (day, count) in enumerate(zip(dates, counts, strict=True)):
        height = 0.0 if not peak else max(BAR_HEIGHT * count / peak, 1.5 if count else 0.0)
        bars.append(Bar(n * BAR_WIDTH, round(BAR_HEIGHT - height, 1), round(height, 1), day, count))
    return BarChart(days * BAR_WIDTH, BAR_HEIGHT, tuple(bars), peak, dates[0], dates[-1], sum(counts))


@dataclass(frozen=True, slots=True)
class Dot:
    """One article in a story: its outlet's lane, its time, and its label."""

    x: float
    y: float
    label: str
    article_id: int


@dataclass(frozen=True, slots=True)
class Lanes:
    """A lane per outlet (in the order they joined the story) with a dot per article, time left to right."""

    width: int
    height: int
    label_width: int
    outlets: tuple[tuple[str, float], ...]  # name and the lane's middle y
    dots: tuple[Dot, ...]
    start: datetime | None
    end: datetime | None


def story_lanes(members: Sequence[tuple[int, str, datetime, str]]) -> Lanes:
    """Return lanes for (article id, outlet, joined at, label) members, time scaled from the first to the last."""
    outlets: dict[str, float] = {}
    for _, outlet, _, _ in members:
        outlets.setdefault(outlet, LANE_HEIGHT * len(outlets) + LANE_HEIGHT / 2)
    times = [when for _, _, when, _ in members]
    start, end = (min(times), max(times)) if times else (None, None)
    span = (end - start).total_seconds() if start and end else 0.0
    dots = []
    for article_id, outlet, when, label in members:
        share = (when - start).total_seconds() / span if span and start else 0.5
        dots.append(Dot(round(LABEL_WIDTH + 8 + share * (LANES_WIDTH - 16), 1), outlets[outlet], label, article_id))
    height = LANE_HEIGHT * max(len(outlets), 1)
    return Lanes(LABEL_WIDTH + LANES_WIDTH, height, LABEL_WIDTH, tuple(outlets.items()), tuple(dots), start, end)
