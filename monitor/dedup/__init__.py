"""The dedup stage: canonical URLs, item identity, content fingerprints and near-duplicate stories (pure; no I/O)."""

from monitor.dedup.identity import (
    IDENTITIES,
    SeenItem,
    Verdict,
    entry_hash,
    item_key,
    judge_identity,
    materially_changed,
    text_similarity,
)
from monitor.dedup.signature import (
    SAME_STORY,
    Signature,
    fingerprint,
    identity_text,
    normalize_text,
    signature,
    similarity,
)
from monitor.dedup.stories import Candidate, StoryChoice, choose_story
from monitor.dedup.urls import canonical_url, normalize_url, outlet_of, site_of, url_key

__all__ = [
    "IDENTITIES",
    "SAME_STORY",
    "Candidate",
    "SeenItem",
    "Signature",
    "StoryChoice",
    "Verdict",
    "canonical_url",
    "choose_story",
    "entry_hash",
    "fingerprint",
    "identity_text",
    "item_key",
    "judge_identity",
    "materially_changed",
    "normalize_text",
    "normalize_url",
    "outlet_of",
    "signature",
    "similarity",
    "site_of",
    "text_similarity",
    "url_key",
]
