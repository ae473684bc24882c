"""Tagging reflections with the real embedder, a real Chroma and the bundled activities."""

from __future__ import annotations

import pytest

from bot.search.retrieval import HybridRetriever
from bot.search.tagging import RetrievalTagger
from knowledge.documents import ACTIVITY


@pytest.fixture(scope="module")
def tagger(retriever: HybridRetriever) -> RetrievalTagger:
    return RetrievalTagger(retriever=retriever)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moved the churn prototype out of my notebook into the production kubernetes cluster, behind a "
         "feature flag, and switched traffic over gradually once the smoke tests passed", "S16"),
        ("read up on why accuracy misleads on imbalanced classes and agreed with the claims team that recall "
         "at a fixed review capacity is the number we report", "K7"),
        ("set up a weekly job that compares the live feature distributions with the training data and posts "
         "a warning in teams when the psi goes over 0.2", "S24"),
    ],
)
def test_everyday_wording_finds_the_ksb(tagger: RetrievalTagger, text: str, expected: str) -> None:
    suggestions = tagger.suggest(text)
    assert expected in [s.id for s in suggestions]
    assert len(suggestions) <= 3
    assert [s.confidence for s in suggestions] == sorted((s.confidence for s in suggestions), reverse=True)
    assert all(s.id in s.reason for s in suggestions)


@pytest.mark.parametrize(
    "text",
    [
        "worked from home, sorted my inbox and booked my holiday for december",
        "dentist in the morning then a fire drill, didnt get anything done",
        "was on jury service all week",
    ],
)
def test_no_evidence_gets_no_tags(tagger: RetrievalTagger, text: str) -> None:
    assert tagger.suggest(text) == []


def test_activities_score_reflections_but_never_answer_questions(retriever: HybridRetriever) -> None:
    text = "moved the prototype into the live environment"
    assert all(doc.metadata["group"] != ACTIVITY for doc, _ in retriever.index.search(text, k=300))
    guide = retriever.index.knowledge.guidance.for_ksb("S16")
    assert guide is not None
    profile = retriever.dense_profile(text)["S16"]
    assert len(profile.activities) == len(guide.activities) > 0
    assert list(profile.activities) == sorted(profile.activities, reverse=True)


def test_scan_agrees_with_chroma(retriever: HybridRetriever) -> None:
    text = "keeping an eye on a model for drift"
    scanned = {(m["ksb"], m["duty"], m["view"]): sim for m, sim in retriever.index.scan(text)}
    assert len(scanned) == retriever.index.count()
    hits = retriever.index.search(text, k=10)
    assert hits
    for doc, sim in hits:
        key = (doc.metadata["ksb"], doc.metadata["duty"], doc.metadata["view"])
        assert scanned[key] == pytest.approx(sim, abs=1e-3)
