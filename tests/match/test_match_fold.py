"""Folding per script, tokenising, and Arabic clitic variants."""

from __future__ import annotations

import importlib

import pytest

from monitor.match.fold import CLITIC_START, analyse_words, arabic_variants, fold, fold_tokens, tokenize

fold_module = importlib.import_module("monitor.match.fold")  # the package re-exports the function as ``fold``


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("École Navale", "ecole navale"),
        ("Hmeïmim ŞAM Straße", "hmeimim sam strasse"),
        ("ﬁnal", "final"),  # compatibility ligature
        ("e\u0301te\u0301", "ete"),  # decomposed accents
    ],
)
def test_latin(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Ёлка", "елка"), ("ХМЕЙМИМ", "хмеймим"), ("Тартус", "тартус"), ("й", "й")],
)
def test_cyrillic(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("أحمد", "احمد"),  # hamza above
        ("إسرائيل", "اسراييل"),  # hamza below; ئ folds to its seat
        ("آمن", "امن"),  # madda
        ("ٱلله", "الله"),  # alef wasla
        ("سورية", "سوريه"),  # ta marbuta
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("طـرطـوس", "طرطوس"),  # tatweel
        ("مُحَمَّد", "محمد"),  # harakat
        ("ﻃﺮﻃﻮﺱ", "طرطوس"),  # presentation forms
    ],
)
def test_arabic(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_tokenize_keeps_marks_inside_words() -> None:
    assert tokenize("مِيناءُ طَرْطُوس, al-Sharaa's") == ["مِيناءُ", "طَرْطُوس", "al", "Sharaa", "s"]


def test_fold_tokens_keeps_alignment() -> None:
    tokens = ["Straße", "ـ", "½", "Тартус"]
    assert fold_tokens(tokens) == ["strasse", "", "1⁄2", "тартус"]
    assert analyse_words("Straße ـ Тартус") == ["strasse", "тартус"]


@pytest.mark.parametrize(
    ("word", "variants"),
    [
        ("وطرطوس", ("طرطوس",)),
        ("بطرطوس", ("طرطوس",)),
        ("الكرملين", ("كرملين",)),
        ("والكرملين", ("كرملين", "الكرملين")),
        ("للاذقيه", ("اذقيه", "لاذقيه")),
        ("وطن", ()),  # the stem would be too short to be a name
        ("tartus", ()),
    ],
)
def test_arabic_clitics(word: str, variants: tuple[str, ...]) -> None:
    assert arabic_variants(word) == variants


def test_fold_tokens_memo_gives_the_same_answer_when_it_fills_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fold_module, "_FOLDED_MAX", 8)
    monkeypatch.setattr(fold_module, "_FOLDED", {})
    words = ["Tartus", "ТАРТУС", "Ёлка", "الطرطوسية", "Hmeimim", "Straße", "naïve", "x"] * 3
    for n in range(1, len(words) + 1):
        batch = [*words[:n], f"word{n}", f"WORD{n}"]
        assert fold_module.fold_tokens(batch) == [fold(w) for w in batch]
    assert len(fold_module._FOLDED) <= 8 + len(batch)  # emptied when full: at most one batch beyond the cap


def test_only_arabic_script_characters_fold_to_a_clitic_letter() -> None:
    # A document without any character the Arabic pattern finds skips the clitic work: prove that is safe for
    # every code point (presentation forms and mathematical Arabic letters fold to plain letters, and are in it).
    from monitor.match.document import _ARABIC_RE

    missed = [
        hex(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000
        and any(c in CLITIC_START for c in fold(chr(cp)))
        and not _ARABIC_RE.search(chr(cp))
    ]
    assert missed == []
