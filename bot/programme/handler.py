"""The coach's handler for questions about the apprenticeship itself (intent `programme`).

It answers with the best programme fact, which names its source. Routed here
by a rule or a router, a question that matches no fact goes on to the KSB
question handler rather than getting a guess. Handed plain questions too, it
claims only those it matches confidently (and never one naming a KSB id), so
"how long is the apprenticeship meant to take?" finds the standard's duration
instead of a KSB sharing a word.
"""

from __future__ import annotations

import asyncio

from bot.coach import Handler
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import IntentName
from bot.programme.answers import ProgrammeAnswer
from bot.programme.matching import ProgrammeAnswers
from bot.search.refs import find_references
from bot.ui_text import ui


# Next questions, keyed by the fact that answers them; the one just answered is left out.
def programme_reply(answer: ProgrammeAnswer, score: float) -> Reply:
    next_questions = {"gateway": ui("followup_gateway"), "otj-counts": ui("followup_otj"),
                      "": ui("followup_progress")}
    followups = [text for fact, text in next_questions.items() if fact != answer.id]
    return Reply(text=answer.text, intent=IntentName.PROGRAMME, followups=followups,
                 metadata={"programme": answer.id, "score": score, "source": answer.source,
                           "from_standard": answer.from_standard})


class ProgrammeHandler:
    """`claim_score`: how sure a plain question must be before it is taken from the KSB path."""

    def __init__(self, *, answers: ProgrammeAnswers, fallback: Handler, claim_score: float | None = None) -> None:
        self.answers = answers
        self._fallback = fallback
        self._claim = claim_score if claim_score is not None else answers.tuning.min_score

    async def __call__(self, incoming: Incoming, intent: Intent) -> Reply:
        text = intent.text or incoming.text
        routed = intent.name == IntentName.PROGRAMME
        if routed or not find_references(text).any:
            # Embedding the question is CPU work: keep it off the event loop that acks chat platforms.
            best, score = await asyncio.to_thread(self.answers.match, text)
            if best is not None and (routed or score >= self._claim):
                return programme_reply(best, score)
        return await self._fallback(incoming, intent)
