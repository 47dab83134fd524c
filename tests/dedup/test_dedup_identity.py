"""Item identity per source (reused and minted guids), changed-text detection, and the MinHash fast path (pure)."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash  # type: ignore[import-untyped]
from dedup_helpers import TARTUS_CUSTOMS, TARTUS_WITHDRAWAL

from monitor import dedup
from monitor.dedup import identity
from monitor.dedup.signature import NUM_PERM, SCHEME, SEED, _minhash
from monitor.models import FeedEntry


def entry(guid: str | None, url: str, title: str = "Russian frigates leave Tartus") -> FeedEntry:
    return FeedEntry(url=url, title=title, guid=guid)


def seen(key: str, url: str, title: str = "Russian frigates leave Tartus") -> dedup.SeenItem:
    return dedup.SeenItem(key, dedup.url_key(url), title)


def test_item_keys_per_identity() -> None:
    item = entry("42", "https://www.wire.example/a/tartus/?utm_source=rss")
    assert dedup.item_key(item) == "42"
    assert dedup.item_key(entry(None, "https://wire.example/a")) == "https://wire.example/a"
    assert dedup.item_key(item, "url") == "url:wire.example/a/tartus"
    assert dedup.item_key(item, "url") == dedup.item_key(entry("43", "https://wire.example/a/tartus"), "url")
    other_title = entry("42", "https://wire.example/a/tartus", "Customs take over the port")
    assert dedup.item_key(item, "content") != dedup.item_key(other_title, "content")
    assert dedup.item_key(item, "content").startswith("content:")


def test_a_guid_reused_for_another_item_switches_to_url_identity() -> None:
    now = [entry("slot-1", "https://wire.example/b", "Customs take over the port of Latakia")]
    verdict = dedup.judge_identity("guid", now, {"slot-1": seen("slot-1", "https://wire.example/a")}, {})
    assert verdict is not None and verdict.identity == "url" and "slot-1" in verdict.reason


def test_an_edited_headline_or_a_moved_link_alone_is_not_reuse() -> None:
    stored = {"7": seen("7", "https://wire.example/a")}
    edited = [entry("7", "https://wire.example/a", "Russian frigates leave Tartus naval base")]
    moved = [entry("7", "https://wire.example/2025/a", "Russian frigates leave Tartus")]
    assert dedup.judge_identity("guid", edited, stored, {}) is None
    assert dedup.judge_identity("guid", moved, stored, {}) is None
    assert dedup.judge_identity("guid", edited, {"7": dedup.SeenItem("7")}, {}) is None  # a row from before m006


def test_one_guid_for_several_links_in_one_feed_is_reuse() -> None:
    items = [entry("same", "https://wire.example/a"), entry("same", "https://wire.example/b", "Another story")]
    verdict = dedup.judge_identity("guid", items, {}, {})
    assert verdict is not None and verdict.identity == "url" and "2 different links" in verdict.reason


def test_new_guids_for_links_already_seen_switch_to_url_identity() -> None:
    links = [f"https://wire.example/{n}" for n in range(3)]
    by_link = {dedup.url_key(u): seen(f"old-{n}", u) for n, u in enumerate(links)}
    minted = [entry(f"new-{n}", u) for n, u in enumerate(links)]
    verdict = dedup.judge_identity("guid", minted, {}, by_link)
    assert verdict is not None and verdict.identity == "url" and "3 of 3" in verdict.reason
    # One re-posted item among several new ones is not a habit.
    fresh = [entry(f"n-{n}", f"https://wire.example/new-{n}") for n in range(4)]
    assert dedup.judge_identity("guid", [minted[0], *fresh], {}, by_link) is None


def test_links_reused_for_different_items_switch_to_content_identity() -> None:
    items = [entry(None, "https://wire.example/live"), entry(None, "https://wire.example/live", "Port lease cancelled")]
    verdict = dedup.judge_identity("url", items, {}, {})
    assert verdict is not None and verdict.identity == "content"
    assert dedup.judge_identity("content", items, {}, {}) is None  # nothing weaker to go to


def test_entry_hash_follows_title_and_text_not_dates() -> None:
    base = FeedEntry(url="https://wire.example/a", title="Frigates leave Tartus", summary="<p>Two frigates</p>")
    assert dedup.entry_hash(base) == dedup.entry_hash(FeedEntry(url=base.url, title=base.title, summary="Two frigates"))
    assert dedup.entry_hash(base) != dedup.entry_hash(FeedEntry(url=base.url, title="Frigates leave Tartus port"))


def test_a_rewrite_is_a_material_change_a_touch_up_is_not() -> None:
    typo = TARTUS_WITHDRAWAL.replace("satellite images", "satelite images")  # 8 of ~100 phrases
    grown = TARTUS_WITHDRAWAL + "\n" + TARTUS_CUSTOMS
    assert not dedup.materially_changed(TARTUS_WITHDRAWAL, TARTUS_WITHDRAWAL.upper())
    assert not dedup.materially_changed(TARTUS_WITHDRAWAL, typo)
    assert dedup.materially_changed(TARTUS_WITHDRAWAL, grown)
    assert dedup.materially_changed("Breaking: ships leave Tartus.", "Breaking: ships leave Latakia.")
    assert identity.text_similarity(TARTUS_WITHDRAWAL, TARTUS_CUSTOMS) < 0.1


@pytest.mark.parametrize("size", [0, 1, 5, 800, 9000])
def test_minhash_fast_path_equals_datasketch(size: int) -> None:
    hashes = np.random.default_rng(size).integers(0, 2**32, size, dtype=np.uint64)
    sketch = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)
    if size:
        sketch.update_batch(hashes.tolist())
    assert np.array_equal(_minhash(hashes), np.asarray(sketch.hashvalues, dtype=np.uint32))
