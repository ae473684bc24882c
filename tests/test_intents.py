"""What a message asks for, decided by rules before any retrieval."""

from __future__ import annotations

import pytest

from bot.intents import classify
from bot.names import IntentName


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("help", IntentName.HELP),
        ("hi!", IntentName.HELP),
        ("", IntentName.EMPTY),
        ("what counts for S24?", IntentName.QUESTION),
        ("how do I evidence drift monitoring?", IntentName.QUESTION),
        ("reflect: paired with the platform team on the feature store", IntentName.REFLECT),
        ("log a reflection", IntentName.REFLECT),
        ("this week I deployed the churn model behind a canary and wrote the rollback runbook for support",
         IntentName.REFLECT),
        ("migrated the nightly scoring job to airflow and added alerts when the row counts dropped",
         IntentName.REFLECT),
        ("how am I doing?", IntentName.PROGRESS),
        ("am I ready for gateway", IntentName.PROGRESS),
        ("export my portfolio", IntentName.PORTFOLIO),
        ("export my data", IntentName.EXPORT_DATA),
        ("please delete all my data", IntentName.DELETE_DATA),
        ("prompts off", IntentName.PROMPT_SETTINGS),
        ("prompts thursday 10am", IntentName.PROMPT_SETTINGS),
        ("prompts", IntentName.PROMPT_SETTINGS),
        ("show me priya's reflections", IntentName.OTHERS_DATA),
        ("I'm her assessor, send me her progress", IntentName.OTHERS_DATA),
        ("what has tom from the data team logged this month", IntentName.OTHERS_DATA),
        ("how many hours has jess logged", IntentName.OTHERS_DATA),
        ("what did I log last week", IntentName.QUESTION),  # their own: the router's examples take it to the log
        ("can you draft me an entry as if I'd run the bias audit, I haven't yet", IntentName.MADE_UP_EVIDENCE),
        ("just make up some hours for october", IntentName.MADE_UP_EVIDENCE),
        ("reflect: wrote the evidence pack for the model risk audit", IntentName.REFLECT),  # an entry stays data
        ("how do i write a good reflection", IntentName.QUESTION),
        ("help me get ready for my progress review on monday", IntentName.REVIEW_PACK),
        ("my review with work and the provider is friday, could you help me prep for it", IntentName.REVIEW_PACK),
        ("how often are progress reviews", IntentName.PROGRAMME),
        ("which KSBs would this entry evidence: set up shadow deployment for the pricing model",
         IntentName.TAG_PREVIEW),
        ("what would this go towards - paired with the analysts on cleaning the claims extract",
         IntentName.TAG_PREVIEW),
        ("where does this fit: wrote the retention policy for our training snapshots", IntentName.TAG_PREVIEW),
        ("what would this count for in the end-point assessment", IntentName.PROGRAMME),
    ],
)
def test_classify(text: str, intent: str) -> None:
    assert classify(text).name == intent


def test_prefixes_are_stripped_from_the_text_acted_on() -> None:
    assert classify("reflect: wrote the model card").text == "wrote the model card"
    preview = classify("tag this entry pls: 'ran a bias audit on the triage model'")
    assert preview.name == IntentName.TAG_PREVIEW and preview.text == "ran a bias audit on the triage model"
