"""Archive search answers exactly as the live matcher, and its FTS5 prefilter prunes without losing hits."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from match_archive_helpers import open_archive, save

from monitor.lookup import ScanStats, archive_hits
from monitor.match import Matcher, compile_topic, validate_topics
from monitor.match.fts import build_alphabet, candidate_chars, plan_query, regex_class
from monitor.models import MatchDocument, Topic
from monitor.store.archive import fts_chars, iter_articles

# Spellings that fold alike for us but not for FTS5 unicode61: case, Latin diacritics (precomposed and
# combining), ё, harakat, tatweel, alef forms, ta marbuta, alef maqsura, clitics, fullwidth, ligatures, ß,
# underscores, an Arabic clitic glued to a Latin word, and look-alikes that must not match.
DOC_WORDS = [
    "tartus", "Tartus", "TARTUS", "tartous", "Tartu", "tarsus", "Russia", "russian", "Россия", "России",
    "Тартус", "тартусе", "Ёлка", "елка", "йод", "иод", "طرطوس", "وطرطوس", "بالطرطوس", "طَرطوس", "طرطـوس",
    "مدرسة", "مدرسه", "أحمد", "احمد", "مصطفى", "مصطفي", "Hmeïmim", "hmeimim", "Hme\u0301imim", "ｔａｒｔｕｓ",
    "ﬁnance", "finance", "Straße", "strasse", "foo_tartus", "وtartus", "al-Sharaa", "naval", "base", "of",
    "École", "ecole", "syrian", "Syria", "سوريا", "المدرسة", "İstanbul", "istanbul", "tass",
]  # fmt: skip
QUERY_WORDS = [
    "tartus", "tartous", "russia*", "syria*", "россия", "тартус*", "елка", "йод", "طرطوس", "مدرسه", "احمد",
    "مصطفي", "hmeimim", "finance", "strasse", "ecole", "istanbul", "tar*", '"naval base"', '"al sharaa"~1',
    "title:tartus", "text:russia*", "source:tass", "lang:ru", "base", "foo", "سوري*", "الطرطوس",
]  # fmt: skip
SEPARATORS = [" ", "  ", ", ", "\n", " - ", "·", "،", " (", ") "]


@st.composite
def queries(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(QUERY_WORDS))
    op = draw(st.sampled_from([" AND ", " OR ", " NEAR/3 ", " ", " NOT "]))
    left, right = draw(queries(depth - 1)), draw(queries(depth - 1))
    if op == " NEAR/3 " and any(x in left + right for x in ("NOT", "source:", "lang:")):
        op = " AND "
    return f"({left}{op}{right})"


@st.composite
def texts(draw: st.DrawFn, max_words: int) -> str:
    words = draw(st.lists(st.sampled_from(DOC_WORDS), max_size=max_words))
    out = ""
    for word in words:
        out += word + draw(st.sampled_from(SEPARATORS))
    return out.strip()


articles = st.tuples(
    texts(4), texts(25), st.sampled_from(["en", "ru", "ar", "ru-RU", None]), st.integers(min_value=0, max_value=1)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(["елка"], [("", "Ёлка", "ru", 0)])  # FTS keeps ё; we fold it to е
@example(["ecole AND finance"], [("ﬁnance", "École", None, 1)])  # ligature: NFKC for us, not for FTS
@example(["tartus"], [("", "وtartus طرطـوس", "ar", 0)])  # clitic glued to Latin; tatweel
@given(st.lists(queries(), min_size=1, max_size=4), st.lists(articles, min_size=1, max_size=6))
def test_archive_search_equals_live_matcher(qs: list[str], docs: list[tuple[str, str, str | None, int]]) -> None:
    topics = [Topic(id=f"t{n}", title="T", query=q) for n, q in enumerate(qs)]
    topics = [t for t in topics if not validate_topics([t])]
    with tempfile.TemporaryDirectory() as tmp:
        db = open_archive(Path(tmp) / "archive.db")
        ids = save(db, docs)
        by_id = {article.id: article for article in iter_articles(db)}
        for topic in topics:
            live_matcher = Matcher([topic])
            live = {}
            for article_id in ids:
                stored = by_id[article_id]
                doc = MatchDocument(stored.title, stored.text, stored.source, stored.language)
                for hit in live_matcher.match(doc):
                    live[article_id] = hit
            archive = {article.id: hit for article, hit in archive_hits(db, compile_topic(topic))}
            assert archive == live, topic.query
        db.close()


def test_sources_and_languages_reach_the_archive_matcher(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    ids = save(db, [("Tartus", "Russia", "ru-RU", 0), ("Tartus", "Russia", "en", 1)])
    for query, expect in [("tartus source:tass", ids[:1]), ("tartus lang:ru", ids[:1]), ("tartus", ids)]:
        found = [a.id for a, _ in archive_hits(db, compile_topic(Topic(id="x", title="x", query=query)))]
        assert found == expect, query


def _alphabet(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = open_archive(tmp_path / "chars.db")
    return db, build_alphabet(fts_chars(db, candidate_chars()))


def test_plain_documents_are_pruned_and_exotic_ones_scanned(tmp_path: Path) -> None:
    db, alphabet = _alphabet(tmp_path)
    plain = save(db, [("Weather", "Rain in Tartu today.", "en", 0)] * 3 + [("Tartus", "Russia in Tartus.", "en", 0)])
    exotic = save(db, [("Ёлка", "нет", "ru", 0), ("ｔａｒｔｕｓ", "wide", "en", 0), ("Straße", "x", "de", 0)])
    arabic = save(db, [("طرطوس", "Russia", "ar", 0)])
    plan = plan_query(compile_topic(Topic(id="x", title="x", query="tartus AND russia")), alphabet)
    read = [a.id for a in iter_articles(db, exotic=plan.exotic, clauses=plan.clauses)]
    assert read == [plain[3], *exotic]  # the Tartu pages never leave SQLite; Arabic cannot match Latin words
    assert arabic[0] not in read
    # An Arabic alias entry widens its clause to documents with such letters instead of scanning everything.
    topic = Topic(id="y", title="y", query="@t AND russia", aliases={"t": ("tartus", "طرطوس")})
    plan = plan_query(compile_topic(topic), alphabet)
    read = [a.id for a in iter_articles(db, exotic=plan.exotic, clauses=plan.clauses)]
    assert read == [plain[3], *exotic, arabic[0]]
    examined: list[int] = []
    assert len(list(iter_articles(db, exotic=plan.exotic, clauses=plan.clauses, on_row=lambda: examined.append(1))))
    assert len(examined) == 8


def test_a_query_without_required_words_reads_everything(tmp_path: Path) -> None:
    db, alphabet = _alphabet(tmp_path)
    save(db, [("a", "b", None, 0), ("c", "d", None, 1)])
    plan = plan_query(compile_topic(Topic(id="x", title="x", query="b OR source:tass")), alphabet)
    assert plan.clauses == ()
    stats = ScanStats()
    assert [a.title for a, _ in archive_hits(db, compile_topic(Topic(id="x", title="x", query="b OR d")), stats=stats)]
    assert stats.read == 2


def test_alphabet_agrees_with_the_real_tokenizer(tmp_path: Path) -> None:
    _, alphabet = _alphabet(tmp_path)
    exotic, clitic_latin = (re.compile(p) for p in alphabet.exotic)
    # What SQLite 3.40 unicode61 remove_diacritics 2 folds differently from us makes a document exotic.
    for ch in ("ё", "ة", "أ", "ى", "ـ", "\u064e", "\u0301", "ß", "ｔ", "ﬁ", "😀"):
        assert exotic.search(f"a{ch}b"), repr(ch)
    for text in ('Tartus, Russia (TASS) - "naval" base: 100%', "Россия и Тартус", "École Île", "روسيا"):
        assert not exotic.search(text), text
    assert clitic_latin.search("وtartus") and not clitic_latin.search("و tartus")
    assert "ё" not in alphabet.safe and "й" in alphabet.safe and "a" in alphabet.safe and "é" not in alphabet.safe


@pytest.mark.parametrize("chars", ["abc", "]-^\\", "ace", "\U0001f600a"])
def test_regex_class_matches_exactly_its_members(chars: str) -> None:
    pattern = re.compile(f"[{regex_class(chars)}]")
    for ch in "abcdez]-^[\\\U0001f600":
        assert bool(pattern.fullmatch(ch)) == (ch in chars), (ch, chars)
    with pytest.raises(ValueError, match="at least one"):
        regex_class("")


@pytest.mark.parametrize("text", ["وtartus", "بالtartus", "Hme\u0301imim tartus", "ｔａｒｔｕｓ", "طرطـوس", "tartus"])
def test_spellings_fts_cannot_see_are_still_found(text: str, tmp_path: Path) -> None:
    db = open_archive(tmp_path / "s.db")
    [article_id] = save(db, [("news", text, None, 0)])
    for query in ("tartus", "tart*", "طرطوس"):
        topic = Topic(id="x", title="x", query=query)
        live = Matcher([topic]).match(MatchDocument("news", text, "TASS wire"))
        assert [a.id for a, _ in archive_hits(db, compile_topic(topic))] == ([article_id] if live else []), query
    assert any(Matcher([Topic(id="x", title="x", query=q)]).match(MatchDocument("", text)) for q in ("tartus", "طرطوس"))
