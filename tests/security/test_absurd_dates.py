"""A reflection dated 0001-01-01 is refused (it would count towards the off-the-job hours), new or corrected."""

from __future__ import annotations

import json
from datetime import date

from bot.coach import Coach
from bot.handlers import storage_handlers
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import KeywordTagger, ScriptedComposer
from tests.test_entry_changes import DRIFT, THURSDAY, entry_row, say
from tests.test_reflections import NoRetriever
from tests.test_teams_endpoint import stored_entries
from tests.test_teams_support import TeamsHarness, card_actions

pytest_plugins = ["tests.test_teams_support"]


async def test_a_reflection_dated_year_one_is_not_saved(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("log a reflection"))
    form = next(c for c in teams.cards() if any(i.get("id") == "ksb_text" for i in c["body"]))
    [save] = card_actions(form)
    value = {**save["data"], "ksb_text": "I retrained the churn model on the new quarter's data",
             "ksb_date": "0001-01-01", "ksb_hours": "7", "ksb_ksbs": "S24"}
    await teams.post(teams.activity("", value=value))
    await teams.settle()
    assert stored_entries(teams) == []
    assert "long before any apprenticeship" in json.dumps(teams.cards())


async def test_a_date_correction_to_year_one_is_refused_like_a_new_entry(sessions: SessionFactory,
                                                                         knowledge: Knowledge) -> None:
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=KeywordTagger(knowledge),
                                composer=ScriptedComposer(), today=lambda: THURSDAY)
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers)
    saved = (await say(coach, "reflect: yesterday, 3h on " + DRIFT)).metadata["saved"]
    for absurd in ("change the date to 0001-01-01", "change the date to 1 Jan 1900"):
        reply = await say(coach, absurd)
        assert "saved" not in reply.metadata and "long before any apprenticeship" in reply.text
    assert entry_row(sessions, saved["entry_id"])[0] == date(2026, 12, 2)
