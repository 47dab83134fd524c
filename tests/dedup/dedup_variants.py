"""Syndication variants of an article body, as outlets make them: shared by the dedup tests and benchmark."""

from __future__ import annotations

import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "extraction" / "readability-news"

_FOOTERS = (
    "Sign up for our morning newsletter to get the day's top stories in your inbox.",
    "Copyright 2025 The Wire Service. All rights reserved. This material may not be published or redistributed.",
    "Follow us on social media for the latest updates. Share this article with your friends.",
    "Additional reporting by staff correspondents; editing by the news desk.",
)
_ADDED = (
    "Officials did not immediately respond to a request for comment on the report late on the day it appeared.",
    "The development comes amid a wider debate about the issue that has drawn attention from analysts and the "
    "public alike in recent weeks, according to people familiar with the discussions.",
)
_SYNONYMS = {"said": "stated", "says": "states", "also": "further", "but": "yet", "however": "though"}


def paragraphs(text: str) -> list[str]:
    """Return the non-empty paragraphs (lines) of an extracted body."""
    return [p.strip() for p in text.splitlines() if p.strip()]


def variants(text: str, seed: int) -> dict[str, str]:
    """Return named variants of ``text``: lightly edited copies that a reader would call the same story."""
    rng = random.Random(seed)
    paras = paragraphs(text)
    shuffled = paras[:]
    # Syndicated copies reorder a few paragraphs, not the whole piece: swap two pairs.
    for _ in range(2):
        if len(shuffled) > 3:
            i, j = rng.sample(range(len(shuffled)), 2)
            shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
    added = paras[:]
    added.insert(rng.randrange(len(added) + 1), rng.choice(_ADDED))
    boiler = [*paras, *rng.sample(_FOOTERS, 2)]
    keep = max(1, round(len(paras) * 0.85))
    trimmed = [" ".join(_SYNONYMS.get(w, w) for w in p.split()) for p in paras[:keep]]
    reworked = [rng.choice(_ADDED), *paras[1:keep], rng.choice(_FOOTERS)]
    return {
        "copy": "\n".join(paras),  # re-headlined: the same body under a new title and URL
        "shuffled": "\n".join(shuffled),
        "added": "\n".join(added),
        "boilerplate": "\n".join(boiler),
        "trimmed": "\n".join(trimmed),
        "reworked": "\n".join(reworked),  # a new lede, the end cut, a closing paragraph added
    }
