"""Progress: off-the-job targets, coverage, weakest KSBs, readiness, and evidence ideas."""

from __future__ import annotations

from datetime import date

import pytest

from bot.coaching.authz import Actor
from bot.coaching.evidence import grounded_ideas, short_quote, suggest_evidence
from bot.coaching.otj import otj_target
from bot.coaching.progress import ProgressService, compute_progress, weakness
from bot.coaching.reflections import EntryView, Reflections
from bot.messages import Incoming
from knowledge.registry import Knowledge
from storage import enrolments, entries, people, tags
from storage.db import SessionFactory
from storage.models import Enrolment, Entry, EntryTag
from storage.tags import KsbStat
from tests.fakes.keyword_tagger import KeywordTagger, ScriptedComposer
from tests.test_reflections import ALICE, make_coach

TODAY = date(2026, 11, 20)


# --- off-the-job hours -------------------------------------------------------------------


def test_otj_from_august_2025_is_the_standard_minimum() -> None:
    target = otj_target(start=date(2025, 8, 1), planned_epa=date(2027, 8, 1), weekly_hours=20,
                        standard_minimum=418)
    assert (target.hours, target.rule) == (418, "standard-minimum")


def test_otj_before_august_2025_is_six_hours_a_week_pro_rata() -> None:
    start, epa = date(2024, 1, 1), date(2025, 12, 29)  # exactly 104 weeks
    full = otj_target(start=start, planned_epa=epa, weekly_hours=37.5, standard_minimum=418)
    assert (full.hours, full.rule) == (624.0, "6h-per-week")
    part = otj_target(start=start, planned_epa=epa, weekly_hours=15, standard_minimum=418)
    assert part.hours == 312.0


def test_otj_override_and_missing_minimum() -> None:
    assert otj_target(start=date(2026, 1, 1), planned_epa=date(2027, 1, 1), weekly_hours=30,
                      standard_minimum=418, override=500).hours == 500
    fallback = otj_target(start=date(2026, 1, 5), planned_epa=date(2026, 3, 2), weekly_hours=30,
                          standard_minimum=None)
    assert (fallback.hours, fallback.rule) == (48.0, "6h-per-week")


# --- computing progress ---------------------------------------------------------------------


def _enrolment(start: date = date(2025, 11, 20), epa: date = date(2027, 11, 20)) -> Enrolment:
    return Enrolment(person_id=1, standard_ref="ST1398", start_date=start, planned_epa_date=epa)


def test_coverage_duties_weakest_and_readiness(knowledge: Knowledge) -> None:
    stats = {"K1": KsbStat("K1", 2, 0, date(2026, 5, 1)), "K2": KsbStat("K2", 1, 0, None),
             "K3": KsbStat("K3", 0, 3, None), "K4": KsbStat("K4", 0, 1, None)}
    p = compute_progress(standard=knowledge.standard, stats=stats, enrolment=_enrolment(),
                         hours_logged=100, entry_count=7, today=TODAY)
    assert (p.covered, p.total, p.coverage) == (2, 65, 3.1)
    assert p.elapsed == 0.5 and p.otj.hours == 418 and p.entries == 7
    # no confirmed evidence first; fewer suggested before more; then standard order
    assert [k.id for k in p.weakest] == ["K5", "K6", "K7"]
    k4 = next(k for k in p.ksbs if k.id == "K4")
    assert k4.weakness > next(k for k in p.ksbs if k.id == "K2").weakness
    assert [d.number for d in p.duties] == list(range(1, 10))
    duty1 = p.duties[0]
    assert [k.id for k in duty1.ksbs] == list(knowledge.standard.duties[0].ksb_ids)
    assert not p.readiness.ready and len(p.readiness.missing_ksbs) == 63
    assert p.readiness.hours_short == 318


def test_weakest_ties_break_on_suggested_then_order(knowledge: Knowledge) -> None:
    confirmed = {k.id: KsbStat(k.id, 2, 0, TODAY) for k in knowledge.standard.ksbs}
    confirmed.update({"S5": KsbStat("S5", 0, 2, None), "K9": KsbStat("K9", 0, 1, None),
                      "B2": KsbStat("B2", 0, 1, None), "S1": KsbStat("S1", 1, 0, TODAY)})
    p = compute_progress(standard=knowledge.standard, stats=confirmed, enrolment=_enrolment(),
                         hours_logged=0, entry_count=0, today=TODAY)
    assert [k.id for k in p.weakest] == ["K9", "B2", "S5"]


def test_gap_weighs_more_later_in_the_programme() -> None:
    assert weakness(confirmed=0, elapsed=0.9) > weakness(confirmed=0, elapsed=0.1)
    assert weakness(confirmed=0, elapsed=0.1) > weakness(confirmed=1, elapsed=0.1)


def test_ready_for_gateway(knowledge: Knowledge) -> None:
    stats = {k.id: KsbStat(k.id, 1, 0, TODAY) for k in knowledge.standard.ksbs}
    p = compute_progress(standard=knowledge.standard, stats=stats, enrolment=_enrolment(),
                         hours_logged=420, entry_count=70, today=TODAY)
    assert p.coverage == 100 and p.readiness.ready and p.readiness.missing_ksbs == ()


# --- from the database -----------------------------------------------------------------------


def _seed(sessions: SessionFactory) -> int:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1",
                                      user_id="UALICE", standard_ref="ST1398",
                                      today=date(2025, 11, 20))
        assert person.id
        for i, (ksb, source) in enumerate([("S24", "confirmed"), ("S24", "confirmed"),
                                           ("K1", "suggested"), ("S10", "removed")]):
            entry = entries.add_entry(session, person_id=person.id, text=f"entry {i}",
                                      work_date=date(2026, 1, 1 + i), otj_hours=5)
            assert entry.id
            tags.set_tag(session, entry_id=entry.id, ksb_id=ksb, source=source)
        session.commit()
        return person.id


def test_progress_service_reads_the_log(sessions: SessionFactory, knowledge: Knowledge) -> None:
    pid = _seed(sessions)
    p = ProgressService(session_factory=sessions, knowledge=knowledge).for_person(
        actor=Actor(pid), apprentice_id=pid, today=TODAY)
    s24 = next(k for k in p.ksbs if k.id == "S24")
    assert (s24.confirmed, s24.last_evidenced) == (2, date(2026, 1, 2))
    assert next(k for k in p.ksbs if k.id == "K1").suggested == 1
    assert next(k for k in p.ksbs if k.id == "S10").confirmed == 0
    assert (p.covered, p.hours_logged, p.entries) == (1, 20, 4)
    with sessions() as session:
        enrolments.set_enrolment(session, person_id=pid, standard_ref="ST1398",
                                 start_date=date(2024, 1, 1), planned_epa_date=date(2025, 12, 29),
                                 weekly_hours=30, otj_target_hours=None)
        session.commit()
    again = ProgressService(session_factory=sessions, knowledge=knowledge).for_person(
        actor=Actor(pid), apprentice_id=pid, today=TODAY)
    assert (again.otj.hours, again.otj.rule, again.elapsed) == (624, "6h-per-week", 1.0)


async def test_progress_reply(sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    await coach.handle(Incoming(user=ALICE, text="reflect: I trained an image recognition "
                                                 "model this week, 3 hours of study"))
    reply = await coach.handle(Incoming(user=ALICE, text="how am I doing?"))
    assert reply.intent == "progress"
    assert "0 of 65 KSBs" in reply.text and "Off-the-job hours: 3 of 418" in reply.text  # "3 hours of study"
    assert "Duty 1: 0/7" in reply.text and "Gateway: not ready yet" in reply.text
    # K1 has a suggestion, so the KSBs with nothing at all come first
    assert reply.metadata["weakest"] == ["K2", "K3", "K4"]
    assert "your “I trained an image recognition model" in reply.text
    assert "could also evidence K2 if you add" in reply.text
    assert [c.id for c in reply.citations] == ["K2", "K3", "K4"]
    assert "(K1, K2, K3, K4, K5, K6, K7, K8, and 57 more)" in reply.text


# --- evidence ideas ---------------------------------------------------------------------------


def _view(entry_id: int, text: str, ksb_tags: dict[str, str] | None = None) -> EntryView:
    entry = Entry(id=entry_id, person_id=1, text=text, work_date=date(2026, 3, entry_id))
    return EntryView(entry, tuple(EntryTag(entry_id=entry_id, ksb_id=k, source=s)
                                  for k, s in (ksb_tags or {}).items()))


def test_grounded_ideas_link_the_closest_entry(knowledge: Knowledge) -> None:
    views = [_view(1, "Wrote unit tests for the billing API"),
             _view(2, "Compared an LLM with a classic classifier for summarising complaints")]
    ideas = grounded_ideas(knowledge=knowledge, weak_ids=["K1", "S99"], entries=views)
    assert [i.ksb_id for i in ideas] == ["K1"]
    assert ideas[0].entry_id == 2
    assert ideas[0].text.startswith("• K1 — your “Compared an LLM with a classic classifier")
    assert "could also evidence K1 if you add a prototype" in ideas[0].text
    confirmed = grounded_ideas(knowledge=knowledge, weak_ids=["K1"],
                               entries=[_view(2, views[1].entry.text, {"K1": "confirmed"})])
    assert confirmed[0].entry_id is None and "nothing in your log" in confirmed[0].text


def test_grounded_ideas_can_use_a_retriever_score(knowledge: Knowledge) -> None:
    views = [_view(1, "alpha"), _view(2, "beta")]
    ideas = grounded_ideas(knowledge=knowledge, weak_ids=["S3"], entries=views,
                           scorer=lambda text: {"S3": 0.9 if text == "alpha" else 0.1})
    assert ideas[0].entry_id == 1


def test_short_quote() -> None:
    assert short_quote("short one") == "short one"
    assert short_quote("word " * 30).endswith("…") and len(short_quote("word " * 30)) <= 61


@pytest.mark.parametrize(("answer", "source"), [
    ("• K1 — build on your LLM comparison.\n• K2 — add a lifecycle diagram.", "llm"),
    ("• K1 — fine. Also S24 is met already!", "grounded"),  # names a KSB outside the weak set
    ("Keep going!", "grounded"),  # names no KSB at all
    (None, "grounded"),
])
async def test_llm_evidence_text_is_accepted_only_within_the_weak_set(
        knowledge: Knowledge, answer: str | None, source: str) -> None:
    composer = ScriptedComposer([answer])
    advice = await suggest_evidence(knowledge=knowledge, weak_ids=["K1", "K2"],
                                    entries=[_view(1, "Compared an LLM <b>x</b>")],
                                    composer=composer)
    assert advice.source == source
    assert "<entries>" in composer.history[0][1] and "Compared an LLM" in composer.history[0][1]
    if source == "grounded":
        assert advice.text.startswith("• K1 — ")


async def test_slow_llm_falls_back_to_grounded(knowledge: Knowledge) -> None:
    advice = await suggest_evidence(knowledge=knowledge, weak_ids=["K1"], entries=[],
                                    composer=ScriptedComposer(["• K1 — x"], delay=1.0),
                                    timeout=0.05)
    assert advice.source == "grounded"


async def test_entries_listing_is_owner_only(sessions: SessionFactory,
                                             knowledge: Knowledge) -> None:
    pid = _seed(sessions)
    service = Reflections(session_factory=sessions, knowledge=knowledge,
                          tagger=KeywordTagger(knowledge))
    views = service.entries(actor=Actor(pid), person_id=pid)
    assert [v.entry.text for v in views] == ["entry 3", "entry 2", "entry 1", "entry 0"]
    assert views[-1].ids("confirmed") == ["S24"]
