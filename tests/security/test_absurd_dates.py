"""A reflection dated 0001-01-01 is refused (it would count towards the off-the-job hours)."""

from __future__ import annotations

import json

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
