"""Retrieval with the real local embedder and a real embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.refs import find_references
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_index
from knowledge.registry import StandardRegistry
from tests.conftest import make_settings

MINI_STANDARD = Path(__file__).parent / "data" / "mini_standard.json"


@pytest.mark.parametrize(
    ("text", "ids", "duties"),
    [
        ("S24", ["S24"], []),
        ("s 24", ["S24"], []),
        ("k13??", ["K13"], []),
        ("behaviour 2", ["B2"], []),
        ("what about skill 12 and K1, K2?", ["S12", "K1", "K2"], []),
        ("duty 4", [], [4]),
        ("d9 ksbs?", [], [9]),
        ("it's 24 degrees and we use s3 buckets", [], []),
        ("I logged 3.5 hours", [], []),
    ],
)
def test_explicit_references(text: str, ids: list[str], duties: list[int]) -> None:
    refs = find_references(text)
    assert (refs.ksb_ids, refs.duties) == (ids, duties)


def test_ids_resolve_exactly(retriever: HybridRetriever) -> None:
    result = retriever.retrieve("what counts for s 24?")
    assert (result.mode, result.ids) == ("explicit", ["S24"])


def test_duty_returns_all_its_ksbs_in_standard_order(retriever: HybridRetriever) -> None:
    result = retriever.retrieve("what does duty 4 involve")
    assert result.ids == ["K12", "K13", "K15", "S10", "S13", "S16", "S17", "S19"]


def test_duty_described_in_words(retriever: HybridRetriever) -> None:
    result = retriever.retrieve("what's in the duty about keeping up to date with new developments")
    assert result.mode == "duty" and result.duties == [9]


def test_unknown_id_is_never_guessed(retriever: HybridRetriever) -> None:
    result = retriever.retrieve("what does S99 need")
    assert result.ids == [] and result.unknown_ids == ["S99"] and result.mode == "unknown"


@pytest.mark.parametrize("text", ["weather in leeds", "write me a poem", "who won the football last night"])
def test_off_topic_returns_nothing(retriever: HybridRetriever, text: str) -> None:
    assert retriever.retrieve(text).ids == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how do I show I'm keeping an eye on data drift in production", "S24"),
        ("where does explainability and bias in algorithms come in", "K20"),
        ("retiring an old model safely", "S25"),
        ("carbon footprint of training", "K17"),
    ],
)
def test_free_text_finds_the_right_ksb(retriever: HybridRetriever, text: str, expected: str) -> None:
    assert expected in retriever.retrieve(text).ids[:3]


def test_index_is_idempotent_and_keyed_by_content(tmp_path: Path, index_dir: Path,
                                                  retriever: HybridRetriever) -> None:
    assert make_index(make_settings(index_dir)).build() is False
    settings = make_settings(tmp_path, standard="ST9999")
    StandardRegistry(added_dir=tmp_path / "standards").add(MINI_STANDARD)
    index = make_index(settings)
    assert index.build() is True
    count = index.count()
    again = make_index(settings)
    assert again.is_current() and again.build() is False
    assert again.count() == count
    assert again.build(force=True) is True
    assert again.count() == count
    (tmp_path / "standards" / "st9999.guidance.yaml").write_text(
        'ksbs:\n  K1:\n    activities: ["wrote the pipeline logging runbook", "cleaned up old log buckets"]\n')
    changed = make_index(settings)
    assert not changed.is_current() and changed.build() is True
    assert changed.count() == count + 2
