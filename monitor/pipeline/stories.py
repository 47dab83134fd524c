"""Where an article goes in the story index (one place computes its membership), and the stories backfill."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from monitor import dedup
from monitor.store import Db, stories, story_queries


def place(
    db: Db, sig: dedup.Signature, url: str, story_id: int | None = None
) -> tuple[stories.Membership, dedup.StoryChoice]:
    """Return how an article with body signature ``sig`` at ``url`` joins the story index, and the story chosen.

    ``story_id`` is the story it already belongs to (a revised article); otherwise the story of its closest stored
    body is chosen, or a new one is started.
    """
    keys = sig.band_keys() if sig.comparable else []
    if story_id is not None:
        choice = dedup.StoryChoice(story_id)
    else:
        choice = dedup.choose_story(sig, (dedup.Candidate(*c) for c in stories.story_candidates(db, keys)))
    member = stories.Membership(
        story_id=choice.story_id,
        outlet=dedup.outlet_of(url),
        url_key=dedup.url_key(url),
        fingerprint=sig.fingerprint,
        signature=sig.values,
        band_keys=keys,
        similarity=choice.similarity,
    )
    return member, choice


def backfill_stories(
    db: Db, now: datetime, *, batch: int = 500, progress: Callable[[int], None] = lambda done: None
) -> int:
    """Put articles stored before stories existed into stories, oldest first, one transaction per batch.

    Each joins the story of its closest stored body as a new article would, but nothing alerts: they are history.
    Returns how many articles were grouped; running it again finds none left.
    """
    done = after = 0
    while rows := story_queries.unstoried_articles(db, after_id=after, limit=batch):
        with db.transaction():
            for article_id, url, text, fetched_at in rows:
                member, _ = place(db, dedup.signature(text), url)
                joined = datetime.fromisoformat(fetched_at) if fetched_at else now
                stories.add_member(db, article_id, member, joined)
        done, after = done + len(rows), rows[-1][0]
        progress(done)
    return done
