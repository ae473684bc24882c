"""Read a standard's programme fields (duration, job titles, entry, progression...) from its published text.

The Institute's layout is a sequence of blank-line separated blocks: a label
("Typical duration of apprenticeship", or a question that wraps over lines such
as "Does professional recognition exist for the occupation?") followed by its
value, which may itself span several blocks. A field whose label is missing
stays empty: standards differ in what they publish.
"""

from __future__ import annotations

import re

from knowledge.model import Programme

# Labels in the order they may appear; a value runs until the next one of these (or any question).
_LABELS = (
    "title of occupation", "uos reference number", "core and options", "level of occupation",
    "occupational maps data", "typical duration of apprenticeship", "degree apprenticeship",
    "target date for approval", "resubmission", "would your proposed apprenticeship standard",
    "does professional recognition exist", "occupation summary", "typical job titles",
    "are there any statutory/regulatory or other typical entry", "occupation duties", "ksbs",
    "qualifications", "english and maths", "does the apprenticeship need to include any mandated",
    "consultation", "progression routes", "supporting uploads", "mandatory qualification uploads",
    "involved employers", "subject sector area",
)
_KIND_HEADINGS = {"knowledge": "K", "skills": "S", "behaviours": "B", "behaviors": "B"}
_STATUS = re.compile(r"\b(in development|approved for delivery|retired|withdrawn)\b", re.I)
_REPORTS_TO = re.compile(r"\breport(?:ing|s)? (?:in)?to (?:the |a |an )?([^.;]+)", re.I)


def _blocks(lines: list[str]) -> list[str]:
    """Paragraphs: runs of non-blank lines, joined with single spaces (a trailing '-' joins the word)."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in [*lines, ""]:
        line = raw.strip()
        if line:
            current.append(line)
            continue
        if current:
            text = current[0]
            for nxt in current[1:]:
                text = text + nxt if text.endswith("-") and not text.endswith(" -") else f"{text} {nxt}"
            blocks.append(re.sub(r"\s+", " ", text))
            current = []
    return blocks


def _is_label(block: str) -> bool:
    lowered = block.lower()
    return lowered.endswith("?") or any(lowered.startswith(label) for label in _LABELS)


def _after(blocks: list[str], label: str) -> list[str]:
    """The blocks that follow the block starting with `label`, up to the next label."""
    start = next((i for i, b in enumerate(blocks) if b.lower().startswith(label)), None)
    if start is None:
        return []
    values: list[str] = []
    for block in blocks[start + 1:]:
        if _is_label(block):
            break
        values.append(block)
    return values


def _first(blocks: list[str], label: str) -> str:
    values = _after(blocks, label)
    return values[0] if values else ""


def _job_titles(text: str) -> tuple[str, ...]:
    """Titles are listed one after another; separators when present, else a capital after a lower-case word."""
    if not text:
        return ()
    parts = re.split(r"\s*[,;|]\s*", text) if re.search(r"[,;|]", text) else re.split(r"(?<=[a-z)]) (?=[A-Z])", text)
    return tuple(p.strip() for p in parts if p.strip())


def _kind_headings(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """The standard's own names for its K, S and B sections: the headings between 'KSBs' and 'Qualifications'."""
    stripped = [line.strip() for line in lines]
    if "KSBs" not in stripped:
        return ()
    found: dict[str, str] = {}
    for line in stripped[stripped.index("KSBs") + 1:]:
        if line == "Qualifications":
            break
        kind = _KIND_HEADINGS.get(line.lower())
        if kind and kind not in found:
            found[kind] = line
    return tuple((kind, found[kind]) for kind in "KSB" if kind in found)


def parse_programme(lines: list[str]) -> Programme:
    blocks = _blocks(lines)
    duration = _first(blocks, "typical duration of apprenticeship")
    months = re.search(r"(\d+)\s*months?", duration, re.I)
    summary = _after(blocks, "occupation summary")
    reports = next((m.group(1).strip() for p in summary if (m := _REPORTS_TO.search(p))), "")
    maps = " ".join(_after(blocks, "occupational maps data"))
    route = re.search(r"Route:\s*(.+?)(?:\s+Pathway:|\s+Cluster:|$)", maps)
    return Programme(
        status=_status(lines),
        typical_duration=duration,
        duration_months=int(months.group(1)) if months else None,
        occupation_summary="\n\n".join(summary),
        job_titles=_job_titles(" ".join(_after(blocks, "typical job titles"))),
        reports_to=reports,
        entry_requirements=" ".join(_after(blocks, "are there any statutory/regulatory or other typical entry")),
        english_maths=" ".join(_after(blocks, "english and maths")),
        degree=_first(blocks, "degree apprenticeship"),
        professional_recognition=_first(blocks, "does professional recognition exist"),
        mandated_qualifications=_first(blocks, "does the apprenticeship need to include any mandated"),
        progression_routes=tuple(_after_lines(lines, "Progression Routes")),
        route=route.group(1).strip() if route else "",
        kind_headings=_kind_headings(lines),
    )


def _status(lines: list[str]) -> str:
    first = next((line.strip() for line in lines if line.strip()), "")
    return first if _STATUS.search(first) else ""


def _after_lines(lines: list[str], label: str) -> list[str]:
    """One value per line (progression routes are listed a line each), up to the next label."""
    stripped = [line.strip() for line in lines]
    if label not in stripped:
        return []
    values: list[str] = []
    for line in stripped[stripped.index(label) + 1:]:
        if line and _is_label(line):
            break
        if line:
            values.append(line)
    return values
