"""Relevance feedback: marks on real stored hits, signed links, and marks turned into examples for the matcher."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.marks import matcher_marks, score_marks
from monitor.match import Matcher
from monitor.match.semantic import Vectors
from monitor.models import MatchDocument, Semantic, Topic
from monitor.notify.feedback import feedback_links, read_feedback_link
from monitor.store import Db, open_database
from monitor.store.feedback import link_key, mark_hit, topic_marks

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)


class WordsEmbedder:
    """Bag of hashed words, L2-normalised: texts sharing words are close."""

    def passages(self, texts: Sequence[str]) -> Vectors:
        rows = []
        for text in texts:
            vec = np.zeros(64, dtype=np.float32)
            for word in text.lower().replace(".", " ").split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
            rows.append(vec / (float(np.linalg.norm(vec)) or 1.0))
        return np.stack(rows)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self.passages(texts)


def stored_hit(db: Db, topic_id: str, title: str, text: str) -> int:
    """Store an article and a hit of ``topic_id`` on it; return the hit id."""
    article = db.execute(
        "INSERT INTO articles (url, title, text, fetched_at) VALUES (?, ?, ?, ?) RETURNING id",
        [f"https://example.org/{hashlib.md5(title.encode()).hexdigest()}", title, text, NOW.isoformat()],
    ).fetchone()[0]
    return int(
        db.execute(
            "INSERT INTO hits (topic_id, topic_title, article_id, score, terms, snippets, created_at)"
            " VALUES (?, ?, ?, 1, '[]', '[]', ?) RETURNING id",
            [topic_id, topic_id, article, NOW.isoformat()],
        ).fetchone()[0]
    )


def test_a_mark_is_kept_changed_and_refused_for_an_unknown_hit(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    hit = stored_hit(db, "bases", "Russian ships leave Tartus", "The navy left the port.")
    mark = mark_hit(db, hit, True, via="cli", now=NOW)
    assert mark is not None and mark.topic_id == "bases" and mark.relevant
    mark_hit(db, hit, False, via="link", now=NOW)  # the analyst changed their mind: one mark, the newest
    assert [(m.hit_id, m.relevant) for m in topic_marks(db, "bases")] == [(hit, False)]
    assert mark_hit(db, hit + 100, True, via="cli", now=NOW) is None
    assert topic_marks(db, "other") == []


def test_links_are_signed_per_hit_and_verdict(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    key = link_key(db, NOW)
    assert link_key(db, NOW) == key and len(key) == 64  # made once, then the same for every daemon
    links = feedback_links("http://127.0.0.1:9464/", key, 12)
    yes = links.relevant.removeprefix("http://127.0.0.1:9464")
    assert read_feedback_link(yes, key) == (12, True)
    assert read_feedback_link(links.not_relevant.removeprefix("http://127.0.0.1:9464"), key) == (12, False)
    assert read_feedback_link(yes.replace("/yes?", "/no?"), key) is None  # a link cannot flip its verdict
    assert read_feedback_link(yes.replace("/12/", "/13/"), key) is None  # nor move to another hit
    assert read_feedback_link(yes, "another key") is None
    assert read_feedback_link("/feedback/12/yes", key) is None


def bases() -> Topic:
    meaning = Semantic(examples=("russian warships leave the syrian port",), min_similarity=0.6)  # type: ignore[call-arg]
    return Topic("bases", "Bases", "khmeimim", semantic=meaning)


def test_marks_become_examples_and_counter_examples(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    liked = stored_hit(db, "bases", "Moscow keeps an air base near Latakia", "Talks on the lease go on.")
    disliked = stored_hit(db, "bases", "Russian warships leave the Syrian port for a football final", "Fans sailed.")
    mark_hit(db, liked, True, via="cli", now=NOW)
    mark_hit(db, disliked, False, via="cli", now=NOW)
    doc = MatchDocument("Moscow keeps an air base near Latakia, officials say", "Talks on the lease continue.")
    off = MatchDocument("Russian warships leave the Syrian port for a football final", "Fans sailed on Sunday.")
    plain = Matcher([bases()], WordsEmbedder())
    assert plain.match(doc) == []  # the topic's own example is about warships, not this
    taught = Matcher([bases()], WordsEmbedder(), marks=matcher_marks(db))
    (hit,) = taught.match(doc)
    assert hit.semantic is not None and hit.semantic.nearest == f"marked hit #{liked}"
    assert plain.match(off) != [] and taught.match(off) == []  # marked not relevant: a counter-example now


def test_scores_on_marks_leave_each_mark_out(tmp_path: Path) -> None:
    db = open_database(tmp_path / "m.db")
    texts = [
        ("Moscow keeps an air base near Latakia", "Talks on the lease go on.", True),
        ("Moscow keeps an air base near Latakia, Syria says", "Talks on the lease went on.", True),
        ("Russian warships leave the Syrian port for a football final", "Fans sailed.", False),
    ]
    for title, text, verdict in texts:
        mark_hit(db, stored_hit(db, "bases", title, text), verdict, via="cli", now=NOW)
    score = score_marks(bases(), topic_marks(db, "bases"), WordsEmbedder())
    assert (score.relevant, score.not_relevant) == (2, 1)
    assert (score.precision_before, score.recall_before) == (0.0, 0.0)  # only the football story hit before
    # Each Latakia story vouched for the other; the football one, judged without its own veto, still hits.
    assert score.recall_after == 1.0 and score.precision_after == 2 / 3


def test_the_feedback_command_marks_a_stored_hit(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    topic_file = tmp_path / "bases.yaml"
    topic_file.write_text(yaml.safe_dump({"id": "bases", "title": "Bases", "query": "khmeimim"}), encoding="utf-8")
    config.write_text(
        yaml.safe_dump(
            {
                "database": "monitor.db",
                "sources": [{"name": "Wire", "url": "http://127.0.0.1:9/feed.xml"}],
                "topics": [str(topic_file)],
                "channels": [{"id": "log", "type": "log"}],
                "routes": [{"topics": ["*"], "channels": ["log"]}],
            }
        ),
        encoding="utf-8",
    )
    db = open_database(tmp_path / "monitor.db")
    hit = stored_hit(db, "bases", "Khmeimim stays Russian", "The base stays.")
    db.close()
    runner = CliRunner()
    done = runner.invoke(main, ["feedback", str(hit), "yes", "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert f"hit #{hit} (bases: Khmeimim stays Russian) marked relevant" in done.output
    assert "matches by its query only" in done.output
    listed = runner.invoke(main, ["feedback", "--list", "-c", str(config)])
    assert listed.exit_code == 0 and "bases: 1 marked relevant, 0 not; on them: precision 1.00" in listed.output
    missing = runner.invoke(main, ["feedback", str(hit + 7), "no", "-c", str(config)])
    assert missing.exit_code == 1 and f"no hit #{hit + 7}" in missing.output


def test_the_health_server_takes_marks_from_signed_links_by_post_only(tmp_path: Path) -> None:
    import asyncio
    import urllib.error
    import urllib.request

    from monitor import ops
    from monitor.ops.http import FeedbackDesk, OpsServer

    db = open_database(tmp_path / "m.db")
    hit = stored_hit(db, "bases", "Khmeimim <stays> Russian", "The base stays.")
    key = link_key(db, NOW)
    desk = FeedbackDesk(key, lambda hit_id, relevant: mark_hit(db, hit_id, relevant, via="link", now=NOW))
    health = ops.Health(scheduler_running=lambda: True, tick_interval=60, details=dict)

    def call(url: str, method: str) -> tuple[int, str]:
        request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    async def scenario() -> list[tuple[int, str]]:
        server = OpsServer("127.0.0.1:0", health, lambda: b"", feedback=desk)
        await server.start()
        try:
            links = feedback_links(f"http://127.0.0.1:{server.port}", key, hit)
            return [
                await asyncio.to_thread(call, links.relevant, "GET"),
                await asyncio.to_thread(call, links.relevant, "POST"),
                await asyncio.to_thread(call, links.relevant.replace("/yes?", "/no?"), "POST"),
                await asyncio.to_thread(call, links.not_relevant.replace(f"/{hit}/", f"/{hit + 1}/"), "GET"),
            ]
        finally:
            await server.stop()

    (shown, marked, forged, moved) = asyncio.run(scenario())
    assert shown[0] == 200 and '<form method="post"' in shown[1] and f"Mark hit #{hit} relevant" in shown[1]
    assert marked[0] == 200 and "Khmeimim &lt;stays&gt; Russian (bases) is marked relevant" in marked[1]
    assert forged[0] == 403 and moved[0] == 403
    assert [(m.hit_id, m.relevant) for m in topic_marks(db)] == [(hit, True)]  # the GET marked nothing
