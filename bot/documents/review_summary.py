"""What went well / what next for a review: grounded lines, or an LLM's, checked against them.

The grounded lines quote the standard's words for the KSBs evidenced most in
the period, the hours against the pace, and one idea per weakest KSB. An LLM
may rewrite them, but its text is used only when every KSB id it names was
in the grounded lines, every number it writes was in what it was given, and
nothing it says about coverage, hours or gateway readiness contradicts the
apprentice's figures (`bot.claims`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from bot.claims import Figures, claims_hold, progress_figures
from bot.coaching.evidence import EvidenceIdea, short_quote
from bot.coaching.progress import Progress
from bot.documents.doc_entries import DocEntry
from bot.documents.review_doc import Summary, evidenced_in_period
from bot.grounding import completion, delimit, invented_ids, mentioned_ids
from bot.ports import Composer
from bot.prompt_files import render
from bot.ui_text import ui
from knowledge.model import Standard

log = logging.getLogger(__name__)
WENT_WELL = 3
_NUMBER = re.compile(r"(?<![KSBksb\d.])\d+(?:\.\d+)?")
_BULLET = re.compile(r"^\s*(?:[•\-*]|\d+[.)])\s*")


def grounded_summary(*, standard: Standard, progress: Progress, expected: float,
                     entries: Sequence[DocEntry], ideas: Sequence[EvidenceIdea]) -> Summary:
    went_well: list[str] = []
    for ksb_id, count, latest in evidenced_in_period(entries)[:WENT_WELL]:
        ksb = standard.ksb(ksb_id)
        went_well.append(ui("review_went_well", id=ksb_id, count=str(count),
                            reflections=ui("review_reflection") if count == 1 else ui("review_reflections"),
                            latest=latest.isoformat(), text=ksb.text if ksb else ""))
    if not went_well:
        went_well.append(ui("review_went_well_none"))
    figures = {"logged": f"{progress.hours_logged:g}", "expected": f"{expected:g}",
               "period_hours": f"{round(sum(e.hours for e in entries), 2):g}"}
    next_steps = [ui("review_next_weakest", ids=", ".join(i.ksb_id for i in ideas))] \
        if ideas else []
    unconfirmed = sum(1 for e in entries if e.suggested and not e.confirmed)
    if unconfirmed:
        next_steps.append(ui("review_next_confirm", count=str(unconfirmed),
                             reflections=ui("review_reflection") if unconfirmed == 1 else ui("review_reflections")))
    if progress.hours_logged >= expected:
        went_well.append(ui("review_hours_on_pace", **figures))
    else:
        next_steps.append(ui("review_hours_behind", **figures,
                             short=f"{round(expected - progress.hours_logged, 1):g}"))
    return Summary(tuple(went_well), tuple(next_steps), "grounded")


def _parts(text: str) -> tuple[list[str], list[str]] | None:
    lower = text.lower()
    if "what went well" not in lower or "what next" not in lower:
        return None
    head, _, tail = text.partition(text[lower.index("what next"):][:9])
    well = [_BULLET.sub("", line).strip() for line in head.splitlines()[1:]]
    nxt = [_BULLET.sub("", line).strip() for line in tail.splitlines()[1:]]
    well, nxt = [w for w in well if w], [n for n in nxt if n]
    return (well, nxt) if well and nxt else None


def review_figures(progress: Progress, *, expected: float, entries: Sequence[DocEntry]) -> Figures:
    """The apprentice's figures with the review's own: hours expected by now and in the period."""
    base = progress_figures(progress)
    logged = progress.hours_logged
    period = round(sum(e.hours for e in entries), 2)
    return replace(base, on_pace=logged >= expected,
                   hours=(*base.hours, expected, period, round(max(expected - logged, 0.0), 1)))


def _numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


async def review_summary(*, standard: Standard, progress: Progress, expected: float,
                         entries: Sequence[DocEntry], ideas: Sequence[EvidenceIdea],
                         composer: Composer | None, private: bool,
                         timeout: float = 10.0) -> Summary:
    grounded = grounded_summary(standard=standard, progress=progress, expected=expected,
                                entries=entries, ideas=ideas)
    if composer is None:
        return grounded
    allowed = mentioned_ids(" ".join(grounded.went_well + grounded.next_steps))
    ideas_text = delimit("\n".join(i.text for i in ideas))  # linked ideas quote entries
    ksbs = "\n".join(f"{k.id}: {k.text}" for i in sorted(allowed) if (k := standard.ksb(i)))
    shown = [f"- {e.work_date.isoformat()}, {e.hours:g} h: {delimit(short_quote(e.text, 200))}"
             for e in entries[-15:]] if private else []
    user = render("review_user.md", ksbs=ksbs, went_well="\n".join(grounded.went_well),
                  next_steps="\n".join(grounded.next_steps), ideas=ideas_text,
                  entries="\n".join(shown))
    text = await completion(composer, system=render("review_system.md"), user=user, timeout=timeout,
                            purpose="review summary")
    parts = _parts(text) if text is not None else None
    if text is None or parts is None:
        return grounded
    invented = invented_ids(text, allowed)
    numbers = _numbers(text) - _numbers(user)
    if not mentioned_ids(text) or invented or numbers:
        log.info("review summary LLM text rejected: ids %s outside %s, numbers %s",
                 sorted(invented), sorted(allowed), sorted(numbers))
        return grounded
    if not claims_hold(text, review_figures(progress, expected=expected, entries=entries),
                       purpose="review summary"):
        return grounded
    return Summary(tuple(parts[0]), tuple(parts[1]), "llm")
