"""Find the programme answer a question asks for: programme facts are documents of their own kind.

A process question ("how often are reviews?") is compared with the facts only,
never with the KSBs, so a KSB that happens to share a word cannot win. The
score fuses the best dense similarity to a fact's views (its title and the
ways apprentices ask it) with BM25 over the fact's words, like KSB retrieval,
so routers can weigh it against their other options.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bot.programme.answers import ProgrammeAnswer, build_answers
from bot.programme.vectors import SHIPPED, ViewVectors
from bot.search.lexical import Bm25, tokens
from bot.search.retrieval import Fusion
from knowledge.index import ChromaTarget, Embedder
from knowledge.programme_facts import load_programme_facts
from knowledge.registry import Knowledge


@dataclass(frozen=True)
class ProgrammeTuning:
    """Question-to-question e5 similarities sit higher than question-to-passage ones, hence the floor."""

    fusion: Fusion = Fusion(dense_floor=0.82, dense_ceil=0.95, lexical_half=5.0, dense_weight=0.5)
    min_score: float = 0.5  # below this, a question is not about the programme


class ProgrammeAnswers:
    def __init__(self, *, answers: list[ProgrammeAnswer], vectors: ViewVectors | None,
                 tuning: ProgrammeTuning | None = None) -> None:
        self.answers = answers
        self.tuning = tuning or ProgrammeTuning()
        self._vectors = vectors
        self._owner = [n for n, answer in enumerate(answers) for _ in answer.views]
        self._lexical = Bm25({a.id: a.lexical for a in answers})

    def vectors_by_key(self) -> dict[str, list[float]]:
        """The views' vectors by key (empty without an embedder), for the shipped file."""
        return self._vectors.by_key() if self._vectors is not None else {}

    def prepare(self) -> None:
        """Embed (or load) the views now rather than on the first question."""
        if self._vectors is not None:
            self._vectors.matrix()

    @staticmethod
    def views(answers: list[ProgrammeAnswer]) -> list[str]:
        """Every view, in the order `ViewVectors` must embed them."""
        return [view for answer in answers for view in answer.views]

    def scores(self, text: str) -> dict[str, float]:
        """Every answer's fused score for `text`."""
        dense = [0.0] * len(self.answers)
        if self._vectors is not None and text.strip():
            for owner, sim in zip(self._owner, self._vectors.query(text), strict=True):
                dense[owner] = max(dense[owner], float(sim))
        lexical = self._lexical.score(tokens(text))
        # Without an embedder the lexical score stands alone, on the same [0, 1] scale.
        fusion = self.tuning.fusion if self._vectors is not None else replace(self.tuning.fusion, dense_weight=0.0)
        return {a.id: fusion(dense[n], lexical.get(a.id, 0.0)) for n, a in enumerate(self.answers)}

    def ranked(self, text: str) -> list[tuple[ProgrammeAnswer, float]]:
        scores = self.scores(text)
        return sorted(((a, scores[a.id]) for a in self.answers), key=lambda pair: pair[1], reverse=True)

    def match(self, text: str) -> tuple[ProgrammeAnswer | None, float]:
        """The best answer and its score in [0, 1]; no answer below `min_score`."""
        ranked = self.ranked(text)
        if not ranked:
            return None, 0.0
        best, score = ranked[0]
        return (best if score >= self.tuning.min_score else None), round(score, 4)

    def get(self, answer_id: str) -> ProgrammeAnswer | None:
        return next((a for a in self.answers if a.id == answer_id), None)


def programme_answers(*, knowledge: Knowledge, embeddings: Embedder | None, embedder_name: str,
                      target: ChromaTarget | None, collection_prefix: str = "ksb",
                      shipped: Path | None = SHIPPED) -> ProgrammeAnswers:
    """The answers for a standard, with dense matching when an embedder is given (vectors made on first use)."""
    answers = build_answers(load_programme_facts(knowledge.standard.reference), knowledge.standard)
    vectors = None
    if embeddings is not None:
        vectors = ViewVectors(texts=ProgrammeAnswers.views(answers), embeddings=embeddings,
                              embedder_name=embedder_name, target=target,
                              collection=f"{collection_prefix}_programme_{knowledge.standard.slug}",
                              shipped=shipped)
    return ProgrammeAnswers(answers=answers, vectors=vectors)
