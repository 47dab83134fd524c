"""Archive search on each backend: the full-text prefilter (FTS5 on SQLite, tsvector + GIN on PostgreSQL) gives the
live matcher's answers, and prunes plain documents without reading them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor import store
from monitor.config import Source
from monitor.lookup import archive_hits
from monitor.match import Matcher, compile_topic, validate_topics
from monitor.match.fts import build_alphabet, candidate_chars, plan_query
from monitor.models import Article, MatchDocument, Topic
from monitor.store import Db
from monitor.store.archive import fts_chars, iter_articles, tsquery
from monitor.store.deliveries import HitPlan

NOW = datetime(2025, 2, 17, 12, 0, tzinfo=UTC)
SOURCES = (
    Source(id="src-tass", name="TASS wire", url="http://127.0.0.1:1/tass.xml", interval=60),
    Source(id="src-local", name="Local news", url="http://127.0.0.1:1/rss.xml", interval=60),
)
_URLS = itertools.count(1)

# Spellings that fold alike for us but not for a tokenizer (case, diacritics, ё, Arabic forms and clitics,
# fullwidth, ligatures, ß), and words the PostgreSQL parser would keep whole (hosts, decimals, paths).
DOC_WORDS = [
    "tartus", "Tartus", "TARTUS", "tartous", "Tartu", "Russia", "Россия", "Тартус", "тартусе", "Ёлка", "елка",
    "طرطوس", "وطرطوس", "طرطـوس", "مدرسة", "مدرسه", "Hme\u0301imim", "hmeimim", "ｔａｒｔｕｓ", "ﬁnance", "finance",
    "Straße", "strasse", "foo_tartus", "وtartus", "al-Sharaa", "naval", "base", "École", "ecole", "tartus.com",
    "3.5", "tartus/base", "tass@tartus.ru", "x86-64", "tass",
]  # fmt: skip
QUERY_WORDS = [
    "tartus", "russia*", "тартус*", "елка", "طرطوس", "مدرسه", "hmeimim", "finance", "strasse", "ecole", "tar*",
    '"naval base"', '"al sharaa"~1', "title:tartus", "source:tass", "base", "com", "5", "64", "x86",
]  # fmt: skip
SEPARATORS = [" ", ", ", "\n", " - ", "·", "،", " ("]


def _save(db: Db, articles: Iterable[tuple[str, str, str | None, int]]) -> list[int]:
    ids = []
    for title, text, language, source in articles:
        url = f"http://127.0.0.1:1/a/{next(_URLS)}"
        saved = store.save_article(
            db,
            Article(title=title, text=text, language=language),
            url=url,
            link=url,
            source_id=SOURCES[source % len(SOURCES)].id,
            item_key=url,
            plan=HitPlan(()),
            now=NOW,
        )
        ids.append(saved.article_id)
    return ids


@st.composite
def queries(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(QUERY_WORDS))
    op = draw(st.sampled_from([" AND ", " OR ", " ", " NOT "]))
    return f"({draw(queries(depth - 1))}{op}{draw(queries(depth - 1))})"


@st.composite
def texts(draw: st.DrawFn, max_words: int) -> str:
    words = draw(st.lists(st.sampled_from(DOC_WORDS), max_size=max_words))
    return "".join(word + draw(st.sampled_from(SEPARATORS)) for word in words).strip()


articles = st.tuples(texts(4), texts(20), st.sampled_from(["en", "ru", "ar", None]), st.integers(0, 1))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@example(["tartus"], [("", "see tartus.com and tartus/base", None, 0)])  # the parser keeps hosts and paths whole
@example(["елка"], [("", "Ёлка", "ru", 0)])
@example(["tar* AND base"], [("Tartus", "naval base", "en", 0)])  # a prefix
@given(st.lists(queries(), min_size=1, max_size=3), st.lists(articles, min_size=1, max_size=5))
def test_archive_search_equals_live_matcher(
    db: Db, qs: list[str], docs: list[tuple[str, str, str | None, int]]
) -> None:
    store.sync_sources(db, SOURCES, NOW)
    db.execute("DELETE FROM seen_items")
    db.execute("DELETE FROM articles")
    ids = _save(db, docs)
    stored = {article.id: article for article in iter_articles(db)}
    for topic in (t for n, q in enumerate(qs) if not validate_topics([t := Topic(id=f"t{n}", title="T", query=q)])):
        matcher = Matcher([topic])
        live = {}
        for article_id in ids:
            a = stored[article_id]
            for hit in matcher.match(MatchDocument(a.title, a.text, a.source, a.language)):
                live[article_id] = hit
        assert {article.id: hit for article, hit in archive_hits(db, compile_topic(topic))} == live, topic.query


def test_plain_documents_are_pruned_and_exotic_ones_scanned(db: Db) -> None:
    store.sync_sources(db, SOURCES, NOW)
    alphabet = build_alphabet(fts_chars(db, candidate_chars()))
    plain = _save(db, [("Weather", "Rain in Tartu today.", "en", 0)] * 3 + [("Tartus", "Russia in Tartus.", "en", 0)])
    exotic = _save(db, [("Ёлка", "нет", "ru", 0), ("ｔａｒｔｕｓ", "wide", "en", 0), ("Straße", "x", "de", 0)])
    arabic = _save(db, [("طرطوس", "Russia", "ar", 0)])
    plan = plan_query(compile_topic(Topic(id="x", title="x", query="tartus AND russia")), alphabet)
    assert [a.id for a in iter_articles(db, exotic=plan.exotic, clauses=plan.clauses)] == [plain[3], *exotic]
    topic = Topic(id="y", title="y", query="@t AND russia", aliases={"t": ("tartus", "طرطوس")})
    plan = plan_query(compile_topic(topic), alphabet)
    assert [a.id for a in iter_articles(db, exotic=plan.exotic, clauses=plan.clauses)] == [plain[3], *exotic, arabic[0]]


def test_the_tokenizer_folds_case_and_splits_at_punctuation(db: Db) -> None:
    chars = fts_chars(db, ["A", "z", "7", "-", ".", "/", " ", "й"])
    assert chars == {"A": "a", "z": "z", "7": "7", "-": None, ".": None, "/": None, " ": None, "й": "й"}


def test_plan_expressions_become_tsqueries() -> None:
    assert tsquery('"tartus" OR "russ"*') == "'tartus' | 'russ':*"
    assert tsquery('"it\'s"') == "'it''s'"


def test_articles_are_read_in_batches_while_the_connection_serves_other_statements(db: Db) -> None:
    store.sync_sources(db, SOURCES, NOW)
    ids = _save(db, [(f"Story {n}", "Tartus", "en", 0) for n in range(5)])
    read = []
    for article in iter_articles(db, batch=2):
        read.append(article.id)
        db.execute("UPDATE sources SET entries_seen = ? WHERE id = ?", [article.id, SOURCES[0].id])  # between batches
    assert read == ids
    assert db.scalar("SELECT entries_seen FROM sources WHERE id = ?", [SOURCES[0].id]) == ids[-1]
    assert [a.id for a in iter_articles(db, newest_first=True, batch=2)][:2] == ids[:-3:-1]
