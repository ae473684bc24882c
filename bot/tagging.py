"""Suggest the KSBs a reflection evidences, each with a grounded one-line reason.

Reflections describe work in everyday words ("moved my notebook prototype onto
the production cluster"), far from the standard's ("transition prototypes into the
live environment"), so besides the KSB's text and guidance each KSB is matched
against typical logged activities from the guidance data; a KSB's activity
similarity is the mean of its two closest activities, so one lucky sentence
does not carry it. A reflection usually evidences different KSBs in different
sentences, so each sentence is scored on its own as well as the whole text,
and a KSB keeps its best score. When even the best KSB scores below the gate
nothing is suggested: "on leave, did emails" gets no confident tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.lexical import Bm25, tokens
from bot.ports import TagSuggestion
from bot.retrieval import DenseProfile, Fusion, HybridRetriever, lexical_documents

DISTINCTIVE = 1.5  # idf: a word shared by more than about a fifth of the KSBs explains nothing
_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+-\s+")


@dataclass(frozen=True)
class TagTuning:
    fusion: Fusion = Fusion(dense_floor=0.80, dense_ceil=0.90, lexical_half=6.0, dense_weight=0.5)
    activity_top: int = 2
    sentence_weight: float = 0.7
    gate: float = 0.63
    floor: float = 0.5
    keep_ratio: float = 0.8
    min_sentence_words: int = 4


def sentences(text: str, min_words: int) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text) if len(s.split()) >= min_words]


class RetrievalTagger:
    """Implements the Tagger port over the hybrid retriever."""

    def __init__(self, *, retriever: HybridRetriever, tuning: TagTuning | None = None) -> None:
        self._retriever = retriever
        self._tuning = tuning or TagTuning()
        knowledge = retriever.index.knowledge
        self._lexical = Bm25(lexical_documents(knowledge.standard, knowledge.guidance, activities=True))

    def _dense(self, profile: DenseProfile) -> float:
        closest = profile.activities[: self._tuning.activity_top]
        return max(profile.best, sum(closest) / len(closest)) if closest else profile.best

    def scores(self, text: str) -> dict[str, float]:
        """Fused score for every KSB with any signal, tuned for reflections rather than questions."""
        dense = {i: self._dense(p) for i, p in self._retriever.dense_profile(text).items()}
        lexical = self._lexical.score(tokens(text))
        fusion = self._tuning.fusion
        return {i: fusion(dense.get(i, 0.0), lexical.get(i, 0.0)) for i in set(dense) | set(lexical)}

    def rank(self, text: str) -> list[tuple[str, float, str]]:
        """Every KSB with a signal: (id, score, the sentence that scored it best), best first."""
        t = self._tuning
        whole = self.scores(text)
        best = {ksb_id: (score, text) for ksb_id, score in whole.items()}
        for sentence in sentences(text, t.min_sentence_words):
            for ksb_id, score in self.scores(sentence).items():
                blended = t.sentence_weight * score + (1 - t.sentence_weight) * whole.get(ksb_id, 0.0)
                if blended > best.get(ksb_id, (0.0, ""))[0]:
                    best[ksb_id] = (blended, sentence)
        ranked = sorted(best.items(), key=lambda kv: kv[1][0], reverse=True)
        return [(ksb_id, score, source) for ksb_id, (score, source) in ranked]

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        ranked = self.rank(text)
        if not ranked or ranked[0][1] < self._tuning.gate:
            return []
        cut = max(self._tuning.floor, ranked[0][1] * self._tuning.keep_ratio)
        return [
            TagSuggestion(id=ksb_id, confidence=round(score, 3), reason=self._reason(ksb_id, source))
            for ksb_id, score, source in ranked[:top]
            if score >= cut
        ]

    def _reason(self, ksb_id: str, source: str) -> str:
        ksb = self._retriever.standard.ksb(ksb_id)
        assert ksb is not None
        guide = self._retriever.index.knowledge.guidance.for_ksb(ksb_id)
        vocabulary = set(tokens(ksb.text + " " + " ".join(guide.keywords if guide else ())))
        shared = [w for w in dict.fromkeys(re.findall(r"[A-Za-z][A-Za-z0-9-]+", source))
                  if (t := tokens(w)) and t[0] in vocabulary
                  and self._retriever.term_weight(t[0]) >= DISTINCTIVE][:3]
        words = ", ".join(f"\u201c{w}\u201d" for w in shared)
        excerpt = ksb.text if len(ksb.text) <= 90 else ksb.text[:87].rsplit(" ", 1)[0] + "…"
        if words:
            verb = "match" if len(shared) > 1 else "matches"
            return f"{words} in your entry {verb} {ksb_id}: \u201c{excerpt}\u201d"
        return f"What you describe is close to {ksb_id}: \u201c{excerpt}\u201d"
