"""Decide what a message asks for: certain rules first, then the closest labelled examples.

The rules in `bot.intents` (reflections, data rights, tag commands, …) and
`bot.conversation.rules` stay: they are cheap and exact. Text aimed at a model
(`bot.conversation.aimed_at_model`) goes to its one reply, with or without a model. A message naming
KSB ids never needs the embedder. Everything else is compared with the
labelled examples; a close call between two intents becomes a clarifying
question instead of a guess.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.conversation.aimed_at_model import aimed_at_model
from bot.conversation.context import Context
from bot.conversation.rules import (
    asks_for_another,
    asks_to_compare,
    is_smalltalk,
    refers_back,
    topic_words,
    without_acknowledgement,
)
from bot.intents import Intent, classify
from bot.names import IntentName
from bot.search.refs import find_references

if TYPE_CHECKING:
    from bot.conversation.examples import ExampleScorer

# Intents the example model may pick; any other it names (e.g. `tags` without its handler) means "question".
ANSWERS = frozenset({IntentName.QUESTION, IntentName.PROGRAMME})


@dataclass(frozen=True)
class RouterTuning:
    min_score: float = 0.80  # below this nothing is close: treat it as a question for retrieval
    min_margin: float = 0.012  # a closer call between two intents is asked about, not guessed
    offtopic_margin: float = 0.02  # refuse only when off-topic clearly beats everything else


@dataclass(frozen=True)
class Routed:
    intent: Intent
    by: str  # rule | context | examples | fallback
    confidence: float = 1.0

    def describe(self) -> dict[str, object]:
        return {"by": self.by, "confidence": round(self.confidence, 3), "options": list(self.intent.options)}


# What someone wrote about their work is data: saved or previewed as written, tagged from the standard.
_ENTRY_TEXT = frozenset({IntentName.REFLECT, IntentName.TAG_PREVIEW})


class Router:
    def __init__(self, *, scorer: ExampleScorer | None = None, tuning: RouterTuning | None = None) -> None:
        self._scorer = scorer
        self._tuning = tuning or RouterTuning()

    def route(self, text: str, *, context: Context, available: Collection[str]) -> Routed:
        stripped = text.strip()
        if stripped and is_smalltalk(stripped) and IntentName.SMALLTALK in available:
            return Routed(Intent(IntentName.SMALLTALK, stripped), "rule")
        base = classify(stripped)
        if base.name not in _ENTRY_TEXT and aimed_at_model(stripped):
            return Routed(Intent(IntentName.AIMED_AT_MODEL, stripped), "rule")
        if base.name != IntentName.QUESTION:
            return Routed(base, "rule")
        refs = find_references(stripped)
        if len(refs.ksb_ids) >= 2 and asks_to_compare(stripped) and IntentName.COMPARE in available:
            return Routed(Intent(IntentName.COMPARE, stripped), "rule")
        if (len(refs.ksb_ids) == 1 and context.ksb_ids and asks_to_compare(stripped) and refers_back(stripped)
                and IntentName.COMPARE in available and refs.ksb_ids[0] not in context.ksb_ids[:1]):
            # "is that the same as K22?": "that" is what was just discussed
            return Routed(Intent(IntentName.COMPARE, f"{stripped} ({context.ksb_ids[0]} and {refs.ksb_ids[0]})"),
                          "context")
        if refs.any:
            return Routed(base, "rule")
        if context.ksb_ids and asks_for_another(stripped) and (topic_words(stripped) or len(context.ksb_ids) >= 2):
            return self._another(stripped, context)
        if context.ksb_ids and refers_back(stripped):
            return self._followup(stripped, context, available)
        return self._by_examples(stripped, available)

    def _followup(self, text: str, context: Context, available: Collection[str]) -> Routed:
        ids = context.ksb_ids[:3]
        if len(ids) >= 2 and asks_to_compare(text) and IntentName.COMPARE in available:
            return Routed(Intent(IntentName.COMPARE, f"{text} ({' and '.join(ids)})"), "context")
        return Routed(Intent(IntentName.QUESTION, f"{text} ({', '.join(ids[:1])})"), "context")

    @staticmethod
    def _another(text: str, context: Context) -> Routed:
        """A KSB besides those just discussed: on the topic named, else the next one the last answer gave."""
        topic = topic_words(text)
        if topic:
            return Routed(Intent(IntentName.QUESTION, topic, exclude=context.ksb_ids), "context")
        return Routed(Intent(IntentName.QUESTION, f"{text} ({context.ksb_ids[1]})"), "context")

    def _by_examples(self, text: str, available: Collection[str]) -> Routed:
        if self._scorer is None:
            return Routed(Intent(IntentName.QUESTION, text), "fallback", 0.0)
        ranked = [(name, score) for name, score in self._scorer.scores(without_acknowledgement(text)).items()
                  if name in available or name in ANSWERS or name == IntentName.OFFTOPIC]
        (best, score), (second, runner_up) = ranked[0], ranked[1]
        margin = score - runner_up
        tuning = self._tuning
        if best == IntentName.OFFTOPIC:
            if margin >= tuning.offtopic_margin and score >= tuning.min_score:
                return Routed(Intent(IntentName.OFFTOPIC, text), "examples", score)
            return Routed(Intent(IntentName.QUESTION, text), "examples", score)
        if best in ANSWERS or score < tuning.min_score:
            return Routed(Intent(self._answer(best, available), text), "examples", score)
        if margin < tuning.min_margin and second != IntentName.OFFTOPIC:
            options = tuple(dict.fromkeys(n if n not in ANSWERS else IntentName.QUESTION for n in (best, second)))
            if len(options) > 1:
                return Routed(Intent(IntentName.CLARIFY, text, options), "examples", score)
        return Routed(Intent(best, text), "examples", score)

    @staticmethod
    def _answer(name: str, available: Collection[str]) -> str:
        return name if name in available and name in ANSWERS else IntentName.QUESTION
