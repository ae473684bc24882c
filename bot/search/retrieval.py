"""Find the KSBs a message is about: exact references first, then hybrid dense + lexical search."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.search.lexical import Bm25, tokens
from bot.search.refs import find_references
from knowledge.guidance import Guidance, KsbGuidance
from knowledge.index import KsbIndex
from knowledge.model import Ksb, Standard, split_id

_DUTY_WORD = re.compile(r"\bdut(?:y|ies)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found; `hits` is empty for off-topic text and unknown ids."""

    query: str
    hits: list[Hit]
    mode: str  # explicit | duty | kind | search | offtopic | unknown
    duties: list[int] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    unknown_duties: list[int] = field(default_factory=list)
    related: list[Hit] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [h.id for h in self.hits]


@dataclass(frozen=True)
class Fusion:
    """One KSB's dense similarity and BM25 score as one number in [0, 1].

    e5 similarities crowd into a narrow band, so dense is rescaled between
    `dense_floor` and `dense_ceil`; BM25 saturates at `lexical_half`.
    """

    dense_floor: float
    dense_ceil: float
    lexical_half: float
    dense_weight: float

    def __call__(self, dense: float, lexical: float) -> float:
        d = min(max((dense - self.dense_floor) / (self.dense_ceil - self.dense_floor), 0.0), 1.0)
        return self.dense_weight * d + (1 - self.dense_weight) * lexical / (lexical + self.lexical_half)


@dataclass(frozen=True)
class Tuning:
    fusion: Fusion = Fusion(dense_floor=0.78, dense_ceil=0.90, lexical_half=6.0, dense_weight=0.65)
    min_score: float = 0.46
    keep_ratio: float = 0.8
    dense_k: int = 80


def ksb_document(ksb: Ksb, guide: KsbGuidance | None, *, activities: bool = False) -> str:
    """A KSB's words for lexical matching: its wording, then its guidance."""
    parts = [ksb.text]
    if guide:
        parts += [guide.explanation, *guide.keywords, *(guide.activities if activities else ())]
    return " ".join(parts)


def lexical_documents(standard: Standard, guidance: Guidance, *, activities: bool = False) -> dict[str, str]:
    return {k.id: ksb_document(k, guidance.for_ksb(k.id), activities=activities) for k in standard.ksbs}


class HybridRetriever:
    def __init__(self, *, index: KsbIndex, tuning: Tuning | None = None) -> None:
        self.index = index
        self.standard: Standard = index.knowledge.standard
        self.tuning = tuning or Tuning()
        guidance = index.knowledge.guidance
        self._lexical = Bm25(lexical_documents(self.standard, guidance))
        self._duty_lexical = Bm25(
            {str(d.number): f"{d.text} {guidance.duties.get(d.number, '')}" for d in self.standard.duties}
        )

    def retrieve(self, text: str, *, top: int = 5) -> Retrieval:
        refs = find_references(text)
        if refs.ksb_ids or refs.duties:
            return self._explicit(text, refs.ksb_ids, refs.duties, top)
        if refs.list_kind:
            hits = [Hit(k.id, 1.0) for k in self.standard.of_kind(refs.list_kind)]
            return Retrieval(query=text, hits=hits, mode="kind")
        if _DUTY_WORD.search(text):
            duty = self._best_duty(text)
            if duty is not None:
                return self._duty_hits(text, [duty], [])
        return self._search(text, top)

    def _explicit(self, text: str, ids: list[str], duties: list[int], top: int) -> Retrieval:
        known = [i for i in ids if self.standard.ksb(i)]
        unknown = [i for i in ids if not self.standard.ksb(i)]
        good_duties = [d for d in duties if self.standard.duty(d)]
        bad_duties = [d for d in duties if not self.standard.duty(d)]
        if good_duties:
            result = self._duty_hits(text, good_duties, bad_duties)
            extra = [Hit(i, 1.0) for i in known if i not in result.ids]
            return Retrieval(query=text, hits=extra + result.hits, mode="duty", duties=good_duties,
                             unknown_ids=unknown, unknown_duties=bad_duties)
        if known:
            return Retrieval(query=text, hits=[Hit(i, 1.0) for i in known], mode="explicit",
                             unknown_ids=unknown, unknown_duties=bad_duties)
        leftover = re.sub(r"\b[ksbd]\s?\d+\b", " ", text, flags=re.IGNORECASE)
        related = self._search(leftover, top).hits if tokens(leftover) else []
        return Retrieval(query=text, hits=[], mode="unknown", unknown_ids=unknown,
                         unknown_duties=bad_duties, related=related[:3])

    def _duty_hits(self, text: str, duties: list[int], bad: list[int]) -> Retrieval:
        ids: list[str] = []
        for number in duties:
            duty = self.standard.duty(number)
            if duty:
                ids.extend(i for i in duty.ksb_ids if i not in ids)
        ids.sort(key=lambda i: "KSB".index(split_id(i)[0]))
        return Retrieval(query=text, hits=[Hit(i, 1.0) for i in ids], mode="duty",
                         duties=duties, unknown_duties=bad)

    def _best_duty(self, text: str) -> int | None:
        lexical = self._duty_lexical.score(tokens(text))
        dense: dict[int, float] = {}
        for doc, sim in self.index.search(text, k=self.tuning.dense_k):
            number = int(doc.metadata.get("duty") or 0)
            if number and number not in dense:
                dense[number] = sim
        combined = {n: self.tuning.fusion(dense.get(n, 0.0), lexical.get(str(n), 0.0)) for n in dense}
        if not combined:
            return None
        best = max(combined, key=lambda n: combined[n])
        return best if combined[best] >= self.tuning.min_score else None

    def dense_scores(self, text: str) -> dict[str, float]:
        best: dict[str, float] = {}
        for doc, sim in self.index.search(text, k=self.tuning.dense_k):
            ksb_id = str(doc.metadata.get("ksb") or "")
            if ksb_id and sim > best.get(ksb_id, -1.0):
                best[ksb_id] = sim
        return best

    def score_all(self, text: str) -> dict[str, float]:
        """Fused score for every KSB with any dense or lexical signal."""
        dense = self.dense_scores(text)
        lexical = self._lexical.score(tokens(text))
        return {i: self.tuning.fusion(dense.get(i, 0.0), lexical.get(i, 0.0)) for i in set(dense) | set(lexical)}

    def _search(self, text: str, top: int) -> Retrieval:
        scores = self.score_all(text)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        if not ranked or ranked[0][1] < self.tuning.min_score:
            return Retrieval(query=text, hits=[], mode="offtopic")
        cut = max(self.tuning.min_score, ranked[0][1] * self.tuning.keep_ratio)
        hits = [Hit(i, round(s, 4)) for i, s in ranked[:top] if s >= cut]
        return Retrieval(query=text, hits=hits, mode="search")
