"""Stopwords come from a kept list (NLTK's, as bm25s ships it), adjusted only by data."""

from __future__ import annotations

from pathlib import Path

from bot.search.lexical import tokens
from knowledge.stopwords import nltk_english, stopwords


def test_the_base_list_is_nltks_as_bm25s_ships_it() -> None:
    import bm25s.stopwords

    assert nltk_english() == frozenset(bm25s.stopwords.STOPWORDS_EN_PLUS)


def test_the_data_file_keeps_and_adds_words(tmp_path: Path) -> None:
    adjustments = tmp_path / "stopwords.yaml"
    adjustments.write_text("keep: [myself]\nchat: [pls, KSB]\n", encoding="utf-8")
    words = stopwords(adjustments)
    assert "myself" not in words and {"pls", "ksb", "between"} <= words


def test_questions_keep_their_content_words() -> None:
    assert tokens("pls show me which KSBs cover taught myself between the system tests") == [
        "taught", "myself", "system", "test"]
