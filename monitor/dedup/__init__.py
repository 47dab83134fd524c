"""The dedup stage: canonical URLs, content fingerprints and near-duplicate stories (pure; no I/O)."""

from monitor.dedup.signature import SAME_STORY, Signature, fingerprint, normalize_text, signature, similarity
from monitor.dedup.stories import Candidate, StoryChoice, choose_story, update_channels
from monitor.dedup.urls import canonical_url, normalize_url, site_of, url_key

__all__ = [
    "SAME_STORY",
    "Candidate",
    "Signature",
    "StoryChoice",
    "canonical_url",
    "choose_story",
    "fingerprint",
    "normalize_text",
    "normalize_url",
    "signature",
    "similarity",
    "site_of",
    "update_channels",
    "url_key",
]
