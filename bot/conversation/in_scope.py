"""A question that names KSBs as what it wants is never off-topic, even when no KSB matches closely.

"which ksb covers gdpr?" is plainly about the standard; a short query with one
rare word can still fall under retrieval's off-topic floor. Such a question gets
the closest KSBs above a lower floor instead of the scope refusal.
"""

from __future__ import annotations

import re

from bot.ports import Retriever
from bot.search.retrieval import Hit, Retrieval

_ASKS_FOR_KSBS = re.compile(
    r"\b(ksbs?|which (skill|knowledge|behaviou?r)s?|what (skill|knowledge|behaviou?r)s?|the standard)\b", re.I)
FLOOR = 0.25
SHOWN = 3


def closest_in_scope(text: str, retrieval: Retrieval, retriever: Retriever) -> Retrieval:
    """`retrieval` itself unless it refused a message that asks for KSBs and some KSB is close enough."""
    if retrieval.mode != "offtopic" or not _ASKS_FOR_KSBS.search(text):
        return retrieval
    ranked = sorted(retriever.score_all(text).items(), key=lambda kv: kv[1], reverse=True)
    hits = [Hit(ksb_id, round(score, 4)) for ksb_id, score in ranked[:SHOWN] if score >= FLOOR]
    return Retrieval(query=text, hits=hits, mode="search") if hits else retrieval
