"""``monitor ui`` over HTTP: every page on an archive the pipeline filled, answered by a real subprocess.

The pages must read like a product, not a table dump: readable dates, terms and snippets as text, the canned
views listed, a chart per topic, a story's outlets over time, and search and explain answering exactly as
``monitor search`` and ``monitor explain`` do.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner
from conftest import HOSTILE_TITLE, Archive, Served

from monitor import store
from monitor.cli import main
from monitor.lookup import document
from monitor.match import compile_topic
from monitor.match.explain import explain
from monitor.store.archive import get_article
from monitor.ui import VIEWS

RAW_TIMESTAMP = re.compile(r">\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")  # an ISO timestamp shown as text
JSON_ARRAY = re.compile(r"\[(&#34;|&quot;|\")")


def get(served: Served, path: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(served.url + path.lstrip("/"), timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def readable_page(body: str) -> None:
    assert not RAW_TIMESTAMP.search(body), RAW_TIMESTAMP.search(body)
    assert not JSON_ARRAY.search(body), JSON_ARRAY.search(body)
    assert "Traceback" not in body


def hit_counts(archive: Archive) -> dict[str, int]:
    db = store.open_database(archive.settings.database)
    try:
        return dict(db.execute("SELECT topic_id, count(*) FROM hits GROUP BY topic_id").fetchall())
    finally:
        db.close()


def test_home_charts_hits_per_topic_and_lists_the_views(archive: Archive, served: Served) -> None:
    status, headers, body = get(served, "/")
    assert status == 200
    assert (
        "script-src" not in headers["Content-Security-Policy"]
        and "default-src 'none'" in headers["Content-Security-Policy"]
    )
    readable_page(body)
    counts = hit_counts(archive)
    assert len(counts) >= 3
    for topic, count in counts.items():
        section = body[body.index(f'id="topic-{topic}"') :]
        section = section[: section.index("</section>")]
        bars = [int(n) for n in re.findall(r'data-count="(\d+)"', section)]
        assert len(bars) == 30
        assert sum(bars) == count  # every hit was stored today, so all of them are in the chart
        assert f'href="/hits?topic={topic}"' in section
    for href, label, _ in VIEWS:
        assert f'<a href="{href}">{label}</a>' in body


def test_hits_show_readable_dates_terms_snippets_and_inert_hostile_rows(archive: Archive, served: Served) -> None:
    status, _, body = get(served, "/hits?topic=russia-syria-bases")
    assert status == 200
    readable_page(body)
    assert re.search(r'<time datetime="\d{4}-[^"]+" title="[^"]+">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC</time>', body)
    assert '<span class="term">Тартусе</span>' in body  # the surface form, not a JSON array
    assert '<p class="snippet">' in body
    assert "<script>" not in body and 'href="javascript:' not in body
    assert "&lt;script&gt;" in body and HOSTILE_TITLE not in body
    assert f"/explain?topic=russia-syria-bases&amp;article={archive.hostile_article}" in body
    assert "russia-syria-government" not in re.sub(r'href="[^"]*"', "", body.split("<tbody>")[1])


def _cli_search(archive: Archive, query: str) -> list[int]:
    result = CliRunner().invoke(
        main, ["search", query, "-c", str(archive.config), "--json", "--limit", "50"], env=archive.env
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(
    "query",
    [
        "Тартус",
        "ведет AND переговоры",
        "баз* AND россия",
        "Хмеймим",
        "Tartus OR Tartous",
        "طرطوس",
        '"naval facility"',
        "syria* NOT Тартус",
    ],
)
def test_search_answers_as_monitor_search(archive: Archive, served: Served, query: str) -> None:
    status, _, body = get(served, "/search?q=" + urllib.parse.quote(query))
    assert status == 200
    readable_page(body)
    shown = [int(n) for n in re.findall(r'<div class="muted">#(\d+) ', body)]
    assert shown == _cli_search(archive, query)
    assert shown, f"{query} should find something in the demo archive"


def test_search_folds_russian_spellings_that_sqlite_fts_misses(archive: Archive, served: Served) -> None:
    db = store.open_database(archive.settings.database)
    try:
        fts = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'ведет'").fetchall()
    finally:
        db.close()
    assert fts == []  # the Russian article writes "ведёт": FTS5 (and so Datasette's search box) finds nothing
    _, _, body = get(served, "/search?q=" + urllib.parse.quote("ведет"))
    assert "Россия близка к соглашению о сохранении баз в Тартусе" in body
    assert '<span class="term">ведёт</span>' in body


def test_search_reports_a_bad_query_and_a_bad_window(served: Served) -> None:
    status, _, body = get(served, "/search?q=" + urllib.parse.quote("(tartus AND"))
    assert status == 400 and 'class="error"' in body
    status, _, body = get(served, "/search?q=tartus&since=soon")
    assert status == 400 and "since=" in body


def test_explain_is_what_monitor_explain_says(archive: Archive, served: Served) -> None:
    db = store.open_database(archive.settings.database)
    try:
        article_id = db.execute(
            "SELECT a.id FROM articles a JOIN hits h ON h.article_id = a.id"
            " WHERE h.topic_id = 'russia-syria-bases' AND a.url LIKE '%/ru/%'"
        ).fetchone()[0]
        stored = get_article(db, article_id)
    finally:
        db.close()
    assert stored is not None
    topic = next(t for t in archive.settings.topics if t.id == "russia-syria-bases")
    expected = explain(compile_topic(topic), document(stored))
    status, _, body = get(served, f"/explain?topic=russia-syria-bases&article={article_id}")
    assert status == 200
    readable_page(body)
    assert f'id="reason">{expected.reason}</p>' in body
    assert f">{expected.score:g}</th>" in body
    cli = CliRunner().invoke(
        main, ["explain", "russia-syria-bases", str(article_id), "-c", str(archive.config)], env=archive.env
    )
    assert expected.reason in cli.output
    assert "“Тартусе”" in body  # where the clause matched, as written


def test_explain_refuses_what_it_cannot_explain(served: Served) -> None:
    assert get(served, "/explain?topic=nope&article=1")[0] == 400
    assert get(served, "/explain?topic=russia-syria-bases&article=999999")[0] == 404
    assert get(served, "/explain?topic=russia-syria-bases")[0] == 400


def test_story_shows_outlets_and_articles_over_time(archive: Archive, served: Served) -> None:
    status, _, body = get(served, "/stories?since=30d")
    assert status == 200
    readable_page(body)
    story_ids = [int(n) for n in re.findall(r'<a href="/stories/(\d+)">#', body)]
    assert story_ids
    db = store.open_database(archive.settings.database)
    try:
        members = {
            sid: db.execute(
                "SELECT count(*), count(DISTINCT outlet) FROM story_articles WHERE story_id = ?", [sid]
            ).fetchone()
            for sid in story_ids
        }
    finally:
        db.close()
    story_id = max(story_ids, key=lambda s: members[s])
    size, outlets = members[story_id]
    assert (size, outlets) == (3, 3)  # the Russian article, then tass.ru 2 h and reuters.com 5 h later
    status, _, body = get(served, f"/stories/{story_id}")
    assert status == 200
    readable_page(body)
    assert body.count('<circle class="dot"') == size
    assert re.findall(r'class="axis outlet"[^>]*>([^<]+)<', body) == ["127.0.0.1", "tass.ru", "reuters.com"]
    xs = [float(x) for x in re.findall(r'<circle class="dot" cx="([\d.]+)"', body)]
    assert xs == sorted(xs) and xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) * 2 / 5, abs=0.2)  # time scale
    assert body.count('<tr id="article-') == size
    assert get(served, "/stories/999999")[0] == 404


def test_sources_deliveries_and_health(served: Served) -> None:
    status, _, body = get(served, "/sources")
    assert status == 200
    readable_page(body)
    broken = body[body.index("Broken wire") :]
    assert re.search(r'class="bad">failing', broken)
    assert "HTTP 404" in broken
    status, _, body = get(served, "/deliveries")
    assert status == 200 and "HTTP 410 Gone" in body and 'class="bad">failed' in body
    readable_page(body)
    status, _, body = get(served, "/health")
    assert status == 200 and "only 3% free on the data disk" in body
    readable_page(body)


def test_unknown_pages_and_methods(served: Served) -> None:
    assert get(served, "/nope")[0] == 404
    request = urllib.request.Request(served.url, method="POST", data=b"x")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 405
