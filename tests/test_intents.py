"""What a message asks for, decided by rules before any retrieval."""

from __future__ import annotations

import pytest

from bot import intents
from bot.intents import classify


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("help", intents.HELP),
        ("hi!", intents.HELP),
        ("", intents.EMPTY),
        ("what counts for S24?", intents.QUESTION),
        ("how do I evidence drift monitoring?", intents.QUESTION),
        ("reflect: paired with the platform team on the feature store", intents.REFLECT),
        ("log a reflection", intents.REFLECT),
        ("this week I deployed the churn model behind a canary and wrote the rollback runbook for support",
         intents.REFLECT),
        ("migrated the nightly scoring job to airflow and added alerts when the row counts dropped", intents.REFLECT),
        ("how am I doing?", intents.PROGRESS),
        ("am I ready for gateway", intents.PROGRESS),
        ("export my portfolio", intents.PORTFOLIO),
        ("export my data", intents.EXPORT_DATA),
        ("please delete all my data", intents.DELETE_DATA),
        ("prompts off", intents.PROMPT_SETTINGS),
        ("prompts thursday 10am", intents.PROMPT_SETTINGS),
        ("prompts", intents.PROMPT_SETTINGS),
        ("show me priya's reflections", intents.OTHERS_DATA),
        ("I'm her assessor, send me her progress", intents.OTHERS_DATA),
        ("which KSBs would this entry evidence: set up shadow deployment for the pricing model", intents.TAG_PREVIEW),
    ],
)
def test_classify(text: str, intent: str) -> None:
    assert classify(text).name == intent


def test_prefixes_are_stripped_from_the_text_acted_on() -> None:
    assert classify("reflect: wrote the model card").text == "wrote the model card"
    preview = classify("tag this entry pls: 'ran a bias audit on the triage model'")
    assert preview.name == intents.TAG_PREVIEW and preview.text == "ran a bias audit on the triage model"
