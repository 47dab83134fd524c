"""The pure parts of ``monitor ui``: chart geometry and readable dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from monitor.ui.charts import BAR_HEIGHT, LABEL_WIDTH, LANES_WIDTH, day_bars, story_lanes
from monitor.ui.dates import readable, time_tag


def test_day_bars_cover_every_day_and_scale_to_the_busiest() -> None:
    chart = day_bars({"2026-12-05": 4, "2026-12-03": 1, "2026-10-01": 9}, date(2026, 12, 5), days=7)
    assert [b.day for b in chart.bars] == [f"2026-11-{d}" for d in (29, 30)] + [f"2026-12-0{d}" for d in range(1, 6)]
    assert [b.count for b in chart.bars] == [0, 0, 0, 0, 1, 0, 4]  # October is outside the window
    assert chart.peak == 4 and chart.total == 5
    last, small = chart.bars[-1], chart.bars[4]
    assert last.height == BAR_HEIGHT and last.y == 0
    assert small.height == BAR_HEIGHT / 4 and small.y == BAR_HEIGHT * 3 / 4
    assert [b.x for b in chart.bars] == sorted({b.x for b in chart.bars})


def test_day_bars_without_hits() -> None:
    chart = day_bars({}, date(2026, 12, 5))
    assert len(chart.bars) == 30 and chart.peak == 0 and all(b.height == 0 for b in chart.bars)


def test_story_lanes_one_per_outlet_in_joining_order_time_left_to_right() -> None:
    start = datetime(2026, 12, 5, 8, tzinfo=UTC)
    lanes = story_lanes(
        [
            (1, "tass.ru", start, "first"),
            (2, "reuters.com", start + timedelta(hours=1), "second"),
            (3, "tass.ru", start + timedelta(hours=4), "third"),
        ]
    )
    assert [name for name, _ in lanes.outlets] == ["tass.ru", "reuters.com"]
    first, second, third = lanes.dots
    assert first.y == third.y != second.y
    assert first.x == LABEL_WIDTH + 8 and third.x == LABEL_WIDTH + LANES_WIDTH - 8
    assert second.x - first.x == (third.x - first.x) / 4
    alone = story_lanes([(1, "tass.ru", start, "only")])
    assert alone.dots[0].x == LABEL_WIDTH + 8 + (LANES_WIDTH - 16) / 2  # a lone article sits in the middle


def test_readable_dates() -> None:
    assert readable("2026-12-05T17:29:09.347665+00:00") == "5 Dec 2026, 17:29 UTC"
    assert readable("2026-12-05T17:29:09.347665+03:00") == "5 Dec 2026, 14:29 UTC"
    assert readable("2026-12-05T07:05:00") == "5 Dec 2026, 07:05 UTC"  # naive: stored as UTC
    assert readable(None) == "-" and readable("") == "-"
    assert readable("Tuesday-ish") == "Tuesday-ish"
    tag = str(time_tag("2026-12-05T17:29:09+00:00"))
    assert tag == (
        '<time datetime="2026-12-05T17:29:09+00:00" title="2026-12-05T17:29:09+00:00">5 Dec 2026, 17:29 UTC</time>'
    )
    assert str(time_tag('x"><script>')) == (
        '<time datetime="x&#34;&gt;&lt;script&gt;" title="x&#34;&gt;&lt;script&gt;">x&#34;&gt;&lt;script&gt;</time>'
    )
