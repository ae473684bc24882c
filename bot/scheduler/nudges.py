"""A manager's weekly nudge as words: grounded by default, LLM-written when one is configured.

The LLM version is a rewrite of the same numbers; it is used only if every KSB
id it mentions is one the data handed to it contains and nothing it says about
an apprentice's coverage, hours or gateway readiness contradicts their figures
(`bot.claims`). Anything else (no model,
a timeout, an invented id, an empty answer) falls back to the grounded text,
which is built from templates and cannot cite what it was not given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bot.claims import Figures, claims_hold
from bot.grounding import citations, completion, delimit, invented_ids, mentioned_ids
from bot.messages import Citation, Reply
from bot.names import IntentName
from bot.ports import Composer
from bot.prompt_files import load, render
from bot.scheduler.nudge_data import ApprenticeSummary
from bot.ui_text import ui
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)
LLM_TIMEOUT = 20.0  # a batch job: longer than a chat answer's, but never unbounded
MAX_LLM_CHARS = 6000


def starters(summary: ApprenticeSummary, knowledge: Knowledge) -> tuple[str, str]:
    """Two conversation starters, most pressing first: quiet, behind on hours, gaps."""
    name = summary.name
    options: list[str] = []
    if summary.quiet_days is not None:
        options.append(ui("nudge_starter_quiet", days=str(summary.quiet_days), name=name))
    gap = round(summary.expected_by_now - summary.hours_total, 1)
    if gap >= 1:
        options.append(ui("nudge_starter_hours", name=name, gap=f"{gap:g}"))
    duty = summary.weakest_duty
    if duty is not None:
        options.append(ui("nudge_starter_duty", number=str(duty.number), name=name,
                          covered=str(duty.covered), total=str(duty.total)))
    for ksb_id in summary.weakest_ksbs:
        ksb = knowledge.standard.ksb(ksb_id)
        if ksb is not None:
            options.append(ui("nudge_starter_ksb", ksb_id=ksb.id, ksb_text=ksb.text,
                              name=name))
    options.append(ui("nudge_starter_review", name=name))
    return options[0], options[1]


def summary_figures(s: ApprenticeSummary) -> Figures:
    """What the nudge's data says of one apprentice, as `bot.claims` checks the model against it."""
    gap = round(max(s.expected_by_now - s.hours_total, 0.0), 1)
    duty = s.weakest_duty
    return Figures(coverage=s.coverage,
                   gateway_ready=s.coverage >= 100.0 and s.hours_total >= s.target_total,
                   on_pace=s.hours_total >= s.expected_by_now, hours_met=s.hours_total >= s.target_total,
                   hours=(s.hours_week, s.weekly_target, s.hours_total, s.target_total,
                          s.expected_by_now, gap),
                   counts=((duty.covered, duty.total),) if duty else (),
                   percents=(abs(s.coverage_change),), name=s.name)


def apprentice_block(summary: ApprenticeSummary, knowledge: Knowledge) -> str:
    first, second = starters(summary, knowledge)
    quiet = " " + ui("nudge_quiet", days=str(summary.quiet_days)) \
        if summary.quiet_days is not None else ""
    duty = summary.weakest_duty
    duty_text = ui("nudge_duty", number=duty.number, covered=duty.covered, total=duty.total) if duty \
        else ui("nudge_no_duty")
    return ui(
        "nudge_apprentice", name=summary.name, quiet=quiet,
        entries=ui("nudge_entry" if summary.entries_week == 1 else "nudge_entries", count=summary.entries_week),
        hours=f"{summary.hours_week:g}", weekly=f"{summary.weekly_target:g}",
        total=f"{summary.hours_total:g}", target=f"{summary.target_total:g}",
        expected=f"{summary.expected_by_now:g}", coverage=f"{summary.coverage:g}",
        change=f"{summary.coverage_change:+g} points", duty=duty_text, first=first,
        second=second)


def cited(text: str, summaries: Sequence[ApprenticeSummary], knowledge: Knowledge
          ) -> list[Citation]:
    """The standard's words for every KSB the summary text names (and had in its data)."""
    named = mentioned_ids(text)
    return citations(knowledge.standard, [k for s in summaries for k in s.weakest_ksbs if k in named])


def grounded_nudge(*, manager: str, summaries: Sequence[ApprenticeSummary],
                   knowledge: Knowledge, day: date) -> Reply:
    body = "\n\n".join(apprentice_block(s, knowledge) for s in summaries)
    text = ui("nudge_summary", name=manager or ui("greeting_name"), day=day.isoformat(),
              count=ui("nudge_count_apprentice" if len(summaries) == 1 else "nudge_count_apprentices",
                       count=len(summaries)), body=body)
    return Reply(text=text, citations=cited(text, summaries, knowledge), intent=IntentName.MANAGER_NUDGE,
                 metadata={"kind": "nudge", "composer": "grounded"})


def nudge_data(summaries: Sequence[ApprenticeSummary], knowledge: Knowledge) -> str:
    """The facts handed to the model: names made inert, numbers as they are."""
    rows = []
    for s in summaries:
        first, second = starters(replace(s, name=delimit(s.name)), knowledge)
        duty = s.weakest_duty
        rows.append({
            "name": delimit(s.name),
            "entries_last_7_days": s.entries_week, "otj_hours_last_7_days": s.hours_week,
            "weekly_otj_target": s.weekly_target, "otj_hours_total": s.hours_total,
            "otj_expected_by_now": s.expected_by_now, "coverage_percent": s.coverage,
            "coverage_change_points": s.coverage_change,
            "weakest_duty": {"number": duty.number, "evidenced": duty.covered,
                             "of": duty.total} if duty else None,
            "weakest_ksbs": {i: k.text for i in s.weakest_ksbs
                             if (k := knowledge.standard.ksb(i)) is not None},
            "quiet_days": s.quiet_days, "suggested_starters": [first, second],
        })
    return json.dumps(rows, ensure_ascii=False, indent=1)


async def llm_nudge(*, composer: Composer, manager: str, summaries: Sequence[ApprenticeSummary],
                    knowledge: Knowledge, day: date, timeout: float = LLM_TIMEOUT) -> Reply | None:
    """The model's summary, or None when it is absent, fails or names a KSB it was not given."""
    data = nudge_data(summaries, knowledge)
    user = render("nudge_user.md", reference=knowledge.standard.reference,
                  manager=delimit(manager), day=day.isoformat(),
                  data=data)
    text = await completion(composer, system=load("nudge_system.md"), user=user, timeout=timeout,
                            purpose="manager nudge")
    if text is None or len(text) > MAX_LLM_CHARS:
        return None
    allowed = {i for s in summaries for i in s.weakest_ksbs}
    invented = invented_ids(text, allowed)
    if invented:
        log.warning("llm nudge rejected, ids not in its data: %s", ",".join(sorted(invented)))
        return None
    if not claims_hold(text, [summary_figures(s) for s in summaries], purpose="manager nudge"):
        return None
    body = ui("nudge_llm", name=manager or ui("greeting_name"), day=day.isoformat(), body=text)
    return Reply(text=body, citations=cited(text, summaries, knowledge), intent=IntentName.MANAGER_NUDGE,
                 metadata={"kind": "nudge", "composer": "llm"})


async def compose_nudge(*, composer: Composer | None, manager: str,
                        summaries: Sequence[ApprenticeSummary], knowledge: Knowledge,
                        day: date, timeout: float = LLM_TIMEOUT) -> Reply:
    if composer is not None:
        reply = await llm_nudge(composer=composer, manager=manager, summaries=summaries,
                                knowledge=knowledge, day=day, timeout=timeout)
        if reply is not None:
            return reply
    return grounded_nudge(manager=manager, summaries=summaries, knowledge=knowledge, day=day)
