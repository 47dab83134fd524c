"""The language of short texts (headlines, wire briefs): the packaged short-text model, not the page model."""

from __future__ import annotations

import pytest

from monitor.extract import detect_language

HEADLINES = [  # written for this test
    ("Russia nears a deal to keep its Syrian naval base", "en"),
    ("Moscow and Damascus talk about the air base again", "en"),
    ("Россия близка к сделке о военных базах в Сирии", "ru"),
    ("Москва и Дамаск обсуждают судьбу авиабазы", "ru"),
    ("روسيا تقترب من اتفاق للإبقاء على قاعدتها البحرية", "ar"),
    ("موسكو ودمشق تبحثان مصير القاعدة الجوية", "ar"),
    ("Росія наближається до угоди щодо баз у Сирії", "uk"),
    ("La Russie proche d'un accord sur ses bases en Syrie", "fr"),
]


@pytest.mark.parametrize(("headline", "language"), HEADLINES)
def test_a_headline_alone_gets_its_language(headline: str, language: str) -> None:
    assert detect_language(headline) == language


def test_too_little_text_has_no_language() -> None:
    assert detect_language("ok") is None
    assert detect_language("— … —") is None
