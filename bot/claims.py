"""Claims a model makes about a person, checked against that person's computed figures.

`bot.grounding` keeps a model from citing KSB ids it was not given; this module keeps it
from telling someone they are further on than they are. Every model path (answers,
evidence ideas and progress tips, review summaries, manager nudges, the agent) passes
its text through `unsupported_claims` and uses the grounded text when anything comes back.

What counts as a claim, clause by clause:

- **completion**: "you have met every KSB", "all KSBs are covered", "your portfolio is
  complete", "full coverage", "nothing left to evidence";
- **gateway readiness**: "ready for gateway", "gateway-ready", "eligible for the EPA";
- **coverage figures**: a percentage in a clause about coverage / KSBs / evidence, and
  "N of M KSBs";
- **hours**: "N hours" (or "N h") in a clause about logged / off-the-job / target hours,
  and "on track / behind with hours", "met the off-the-job target".

A negated clause ("you haven't met every KSB yet") claims the opposite and is checked the
same way. A conditional or a rule ("once you have met every KSB you will be ready for
gateway", "gateway needs…") is not a claim about the person and passes. A clause is
about the person it names (`Figures.name`, for a manager's nudge over several
apprentices); a clause naming no one is about the last person named, or about everyone.

With no figures at all (`people=None`: a question answer, where the model saw none) any
such claim is unsupported: the model cannot know, so it may not say.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: claims must stay importable from every model path
    from bot.coaching.progress import Progress

log = logging.getLogger(__name__)

HOURS_TOLERANCE = 0.5  # "about 12 hours" for 12.4 logged is fair; 20 for 12.4 is not
PERCENT_TOLERANCE = 1.0  # "33%" for 33.3 % is fair


@dataclass(frozen=True)
class Figures:
    """What is true of one person, from their data: the only things a model may state about them.

    `hours` is every hours figure the model was shown for the person (logged, target,
    expected by now, this week, short by); a stated number of hours must be one of them.
    `counts` are the (evidenced, of) pairs it was shown (the whole standard, a duty).
    """

    coverage: float  # percent of KSBs with confirmed evidence
    gateway_ready: bool
    on_pace: bool  # hours logged at least what is expected by now
    hours_met: bool  # hours logged at least the whole off-the-job target
    hours: tuple[float, ...] = ()
    counts: tuple[tuple[int, int], ...] = ()
    percents: tuple[float, ...] = ()  # other coverage percentages shown (e.g. its change)
    name: str = ""

    @property
    def complete(self) -> bool:
        return self.coverage >= 100.0


def progress_figures(progress: Progress, *, name: str = "") -> Figures:
    """The figures `compute_progress` gives an apprentice, as a model may repeat them."""
    logged, target = progress.hours_logged, progress.otj.hours
    expected = round(target * progress.elapsed, 1)
    counts = [(progress.covered, progress.total)]
    counts += [(sum(1 for k in d.ksbs if k.confirmed), len(d.ksbs)) for d in progress.duties]
    return Figures(coverage=progress.coverage, gateway_ready=progress.readiness.ready,
                   on_pace=logged >= expected, hours_met=logged >= target,
                   hours=(logged, target, expected, progress.readiness.hours_short,
                          round(max(expected - logged, 0.0), 1)),
                   counts=tuple(counts), name=name)


# --- what a clause claims -------------------------------------------------------------

_ALL = r"(?:every|all|each)(?:\s+(?:one|single))?(?:\s+of)?(?:\s+(?:your|the|their|his|her|its))?"
_KSBS = r"(?:ksbs?|knowledge,?\s+skills?|skills|behaviou?rs|criteria|requirements|standard|duties)"
_DONE = r"(?:met|meets?|complete[sd]?|covered|covers?|evidenced|evidences?|achieved|ticked\s+off|" \
        r"finished|done|satisfied|fulfilled|nailed|hit)"
_COMPLETE = [
    re.compile(rf"\b{_DONE}\b[^.;:]{{0,30}}?\b{_ALL}\s+(?:\w+\s+){{0,2}}?{_KSBS}\b", re.I),
    re.compile(rf"\b{_ALL}\s+(?:\w+\s+){{0,2}}?{_KSBS}\b[^.;:]{{0,40}}?\b{_DONE}\b", re.I),
    re.compile(r"\bportfolio\b[^.;:]{0,30}?\b(?:is|'s|looks|now|fully)\s+(?:now\s+|fully\s+|already\s+)?"
               r"(?:complete|completed|finished|done|full)\b", re.I),
    re.compile(r"\b(?:full|complete|100\s?%|total)\s+(?:ksb\s+)?coverage\b", re.I),
    re.compile(r"\bfully\s+(?:covered|evidenced|complete)\b", re.I),
    re.compile(r"\bnothing\s+(?:left|more|else)\s+to\s+(?:evidence|cover)\b", re.I),
    re.compile(r"\bno\s+(?:gaps|missing\s+ksbs?)\s+(?:left|remain)", re.I),
]
_GATEWAY = [
    re.compile(r"\b(?:ready|eligible|set|prepared|cleared|good\s+to\s+go)\b[^.;:]{0,25}?"
               r"\b(?:for|to)\b[^.;:]{0,20}?\b(?:gateway|end[-\s]point\s+assessment|epa)\b", re.I),
    re.compile(r"\bgateway[-\s]ready\b", re.I),
    re.compile(r"\b(?:can|could|should)\s+(?:now\s+)?(?:go|move|proceed|progress)\s+(?:on\s+)?"
               r"(?:to|through)\s+(?:the\s+)?(?:gateway|epa|end[-\s]point)", re.I),
]
_NEGATION = re.compile(r"\b(?:not|never|no|yet\s+to|far\s+from|nowhere\s+near|none)\b|n't\b|n’t\b",
                       re.I)
_CONDITION = re.compile(r"\b(?:if|once|when|whenever|until|unless|need|needs|required?|requires|"
                        r"must|to\s+reach|in\s+order|so\s+that)\b", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|per\s?cent)", re.I)
_COVERAGE_WORDS = re.compile(r"\b(?:cover\w*|ksbs?|evidenc\w*|portfolio|complete\w*|progress)\b", re.I)
_OTJ_WORDS = re.compile(r"\b(?:off[-\s]the[-\s]job|otj|hours?|time)\b", re.I)
_COUNT = re.compile(r"\b(\d+)\s+(?:of|out\s+of|/)\s+(?:the\s+|your\s+)?(\d+)\s+(?:\w+\s+)?"
                    r"(?:ksbs?|knowledge|skills|behaviou?rs)\b", re.I)
_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s?(?:hours?|hrs?|h)\b", re.I)
_HOURS_CONTEXT = re.compile(r"\b(?:logged|recorded|clocked|so\s+far|total|in\s+all|behind|ahead|"
                            r"short|expected|target|off[-\s]the[-\s]job|otj|to\s+date)\b", re.I)
_PACE_GOOD = re.compile(r"\b(?:on\s+track|on\s+pace|on\s+target|ahead|up\s+to\s+date|"
                        r"keeping\s+up)\b", re.I)
_PACE_BAD = re.compile(r"\b(?:behind|short\s+of|falling\s+behind|off\s+track|under\s+target)\b",
                       re.I)
_HOURS_MET = re.compile(r"\b(?:met|reached|hit|completed|done|exceeded|achieved)\b[^.;:]{0,25}?"
                        r"\b(?:off[-\s]the[-\s]job|otj)\s+(?:hours|target|minimum|requirement)", re.I)
_CLAUSES = re.compile(r"(?<=[.!?;\n])\s+|\n|,\s+(?:but|and|so|while|although|though|yet)\s+|"
                      r"\s+(?:but|although|though|whereas|while)\s+", re.I)


@dataclass(frozen=True)
class UnsupportedClaim:
    """One statement about a person that their figures do not support."""

    clause: str
    kind: str  # completion | gateway | coverage | count | hours | pace
    person: str  # the person it was checked against ("" when no figures were given)

    def __str__(self) -> str:
        who = f" ({self.person})" if self.person else ""
        return f"{self.kind}{who}: {self.clause!r}"


def _close(value: float, allowed: Sequence[float], tolerance: float) -> bool:
    return any(abs(value - a) <= tolerance for a in allowed)


def _claimed(patterns: Sequence[re.Pattern[str]], clause: str) -> bool | None:
    """True when the clause asserts what a pattern says, False when it denies it, None when silent.

    A negation inside the matched words ("no gaps left") is part of the claim, not a denial.
    """
    for pattern in patterns:
        if m := pattern.search(clause):
            rest = clause[:m.start()] + " " + clause[m.end():]
            return not _NEGATION.search(rest)
    return None


def _false_in(clause: str, f: Figures | None) -> list[str]:
    """The kinds of claim in one clause that `f` does not support (None: no figures at all)."""
    negated = bool(_NEGATION.search(clause))
    wrong: list[str] = []
    complete = _claimed(_COMPLETE, clause)
    if complete is not None and (f is None or f.complete != complete):
        wrong.append("completion")
    ready = _claimed(_GATEWAY, clause)
    if ready is not None and (f is None or f.gateway_ready != ready):
        wrong.append("gateway")
    if _COVERAGE_WORDS.search(clause) and not _OTJ_WORDS.search(clause):
        for m in _PERCENT.finditer(clause):
            if f is None or not _close(float(m.group(1)), (f.coverage, *f.percents), PERCENT_TOLERANCE):
                wrong.append("coverage")
                break
    for m in _COUNT.finditer(clause):
        if f is None or (int(m.group(1)), int(m.group(2))) not in f.counts:
            wrong.append("count")
            break
    if _OTJ_WORDS.search(clause) and _HOURS_CONTEXT.search(clause):
        for m in _HOURS.finditer(clause):
            if f is None or not _close(float(m.group(1)), f.hours, HOURS_TOLERANCE):
                wrong.append("hours")
                break
        if _PACE_BAD.search(clause):
            if f is None or f.on_pace != negated:
                wrong.append("pace")
        elif _PACE_GOOD.search(clause) and (f is None or f.on_pace == negated):
            wrong.append("pace")
    met = _claimed([_HOURS_MET], clause)
    if met is not None and (f is None or f.hours_met != met):
        wrong.append("hours")
    return wrong


def _named(clause: str, people: Sequence[Figures]) -> list[Figures]:
    found = []
    for f in people:
        words = [f.name.strip(), *f.name.split()[:1]] if f.name.strip() else []
        if any(len(w) > 1 and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", clause, re.I) for w in words):
            found.append(f)
    return found


def unsupported_claims(text: str, people: Figures | Sequence[Figures] | None) -> list[UnsupportedClaim]:
    """Every claim in `text` about coverage, completion, hours or gateway readiness that the
    figures contradict; empty means the text may be shown.

    `people` is the person the text is about, the several people a manager's nudge covers,
    or None when the model was given no figures (then any such claim is unsupported).
    """
    group: list[Figures | None]
    if people is None:
        group = [None]
    elif isinstance(people, Figures):
        group = [people]
    else:
        group = list(people) or [None]
    known = [f for f in group if f is not None]
    found: list[UnsupportedClaim] = []
    current: list[Figures | None] = group
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        named = _named(sentence, known)
        if named:
            current = list(named)
        for clause in _CLAUSES.split(sentence):
            clause = clause.strip()
            if not clause or _CONDITION.search(clause):
                continue
            for f in current:
                found += [UnsupportedClaim(clause, kind, f.name if f else "") for kind in _false_in(clause, f)]
    return found


def claims_hold(text: str, people: Figures | Sequence[Figures] | None, *, purpose: str) -> bool:
    """True when `text` says nothing about anyone that their figures contradict; logs what it rejects."""
    wrong = unsupported_claims(text, people)
    if wrong:
        log.warning("%s: model text rejected, claims not in the data: %s", purpose,
                    "; ".join(str(c) for c in wrong[:3]))
    return not wrong
