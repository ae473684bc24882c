"""Turn programme facts into finished answers for one standard, each naming its source.

Rule facts fill their templates from `bot.otj` (the one place the off-the-job
numbers live) and the standard; standard-derived facts quote the standard's
own words through `prompts/programme_<field>.md`. A field the standard leaves
empty yields no answer rather than an invented one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from string import Template

from bot.coaching.otj import FULL_TIME_HOURS, RULE_CHANGE, WEEKLY_HOURS, otj_target
from bot.truncate import truncate
from bot.ui_text import ui
from knowledge.model import KIND_NAMES, Standard
from knowledge.programme_facts import ProgrammeFact

SUMMARY_CHARS = 700
DUTY_CHARS = 95


@dataclass(frozen=True)
class ProgrammeAnswer:
    id: str
    title: str
    text: str  # the reply, its source line included
    source: str
    applies_from: str
    from_standard: bool
    views: tuple[str, ...]  # what questions are matched against: the title and the ways it is asked
    lexical: str  # the words for lexical matching


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _number(value: float) -> str:
    return f"{value:g}"


def rule_values(standard: Standard) -> dict[str, str]:
    """Placeholders for rule facts; the minimum comes out of `otj_target` for a start on the rule change."""
    target = otj_target(start=RULE_CHANGE, planned_epa=RULE_CHANGE, weekly_hours=FULL_TIME_HOURS,
                        standard_minimum=standard.minimum_otj_hours)
    return {
        "reference": standard.reference,
        "title": standard.title,
        "rule_change": _day(RULE_CHANGE),
        "weekly_hours": _number(WEEKLY_HOURS),
        "full_time_hours": _number(FULL_TIME_HOURS),
        "minimum_hours": _number(target.hours) if target.rule == "standard-minimum" else "",
    }


def _quoted(items: tuple[str, ...]) -> str:
    return ", ".join(f"\u201c{item}\u201d" for item in items)


def _ranges(standard: Standard) -> str:
    return ", ".join(standard.id_range(kind) for kind in "KSB" if standard.of_kind(kind))


def field_value(standard: Standard, field: str) -> dict[str, str] | None:
    """The standard's words for one field, as template values; None when the standard is silent."""
    programme = standard.programme
    if field == "level":
        return {"value": str(standard.level)} if standard.level else None
    if field == "duties":
        lines = [ui("programme_duty_line", number=d.number, text=truncate(d.text, DUTY_CHARS)) for d in standard.duties]
        return {"value": "\n".join(lines), "count": str(len(lines))} if lines else None
    if field == "kind_headings":
        names = dict(programme.kind_headings) or {k: KIND_NAMES[k].capitalize() for k in "KSB" if standard.of_kind(k)}
        parts = [ui("programme_kind_heading", kind=k, name=name, range=standard.id_range(k))
                 for k, name in names.items()]
        return {"value": ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)}
    if field == "status":
        value = programme.status or (ui("programme_version", version=standard.version) if standard.version else "")
        return {"value": value, "count": str(len(standard.ksbs)), "ranges": _ranges(standard)} if value else None
    raw = getattr(programme, field, None)
    if isinstance(raw, tuple):
        return {"value": _quoted(raw)} if raw else None
    if field == "occupation_summary" and raw:
        return {"value": truncate(str(raw).replace("\n\n", " "), SUMMARY_CHARS)}
    return {"value": str(raw)} if raw else None


def _applies(fact: ProgrammeFact, standard: Standard) -> bool:
    if fact.requires and getattr(standard, fact.requires, None) in (None, "", ()):
        return False
    return not (fact.unless and getattr(standard, fact.unless, None) not in (None, "", ()))


def _standard_source(standard: Standard, fact: ProgrammeFact) -> str:
    version = ui("programme_version_in_development") if "development" in standard.programme.status.lower() \
        else (ui("programme_version", version=standard.version) if standard.version
              else ui("programme_version_as_loaded"))
    source = ui("programme_source", reference=standard.reference, title=standard.title, version=version)
    return f"{source}; {fact.also_source}" if fact.also_source else source


def _template_for(fact: ProgrammeFact, standard: Standard) -> str:
    """The field's template name after `programme_`: a status other than in-development has its own."""
    if fact.field == "status" and "development" not in standard.programme.status.lower():
        return "status_loaded"
    return fact.field


def build_answer(fact: ProgrammeFact, standard: Standard) -> ProgrammeAnswer | None:
    if not _applies(fact, standard):
        return None
    base = {"reference": standard.reference, "title": standard.title, "level": str(standard.level)}
    if fact.field:
        values = field_value(standard, fact.field)
        if values is None:
            return None
        body = ui(f"programme_{_template_for(fact, standard)}", **(base | values))
        source = _standard_source(standard, fact)
    else:
        body = Template(fact.answer).substitute(rule_values(standard))
        source = fact.source + (ui("programme_applies_from", date=fact.applies_from) if fact.applies_from else "")
    text = ui("programme_answer", answer=body, source=source)
    views = (fact.title, *fact.asks)
    return ProgrammeAnswer(id=fact.id, title=fact.title, text=text, source=source,
                           applies_from=fact.applies_from, from_standard=bool(fact.field), views=views,
                           lexical=" ".join([*views, *fact.keywords, body]))


def build_answers(facts: list[ProgrammeFact], standard: Standard) -> list[ProgrammeAnswer]:
    return [a for f in facts if (a := build_answer(f, standard)) is not None]
