"""Parse a standard published as plain text (the Institute's occupational standard layout).

The layout is: front matter with 'UOS reference number' and 'Level of occupation',
an 'Occupation duties' table of 'Duty N <text> <KSB ids>', then the KSBs as
'K1: text' paragraphs that may wrap across lines and page breaks.
"""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.model import Duty, Ksb, Standard, split_id
from knowledge.programme_text import parse_programme

_KSB_START = re.compile(r"^([KSB])(\d+):\s*(.*)$")
_DUTY_START = re.compile(r"^Duty\s+(\d+)\s+(.*)$")
_ID_TOKEN = re.compile(r"^[KSB]\d+$")
_SECTION_END = {"Qualifications", "Skills", "Behaviours", "Knowledge"}


class StandardFormatError(ValueError):
    """The file does not look like a standard; the message says what is missing."""


def _join(lines: list[str]) -> str:
    """Join wrapped lines: a line ending in '-' continues the same word (non-\\ntechnical)."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and not out.endswith(" -"):
            out += line
        else:
            out += " " + line
    return re.sub(r"\s+", " ", out).strip()


def _value_after(lines: list[str], label: str) -> str:
    for i, line in enumerate(lines):
        if line.strip() == label:
            for nxt in lines[i + 1 :]:
                if nxt.strip():
                    return nxt.strip()
    raise StandardFormatError(f"missing '{label}'")


def _title(lines: list[str]) -> str:
    try:
        return _value_after(lines, "Title of occupation")
    except StandardFormatError:
        return next(line.strip() for line in lines if line.strip())


def _parse_ksbs(lines: list[str]) -> list[Ksb]:
    start = next((i for i, line in enumerate(lines) if line.strip() == "KSBs"), None)
    if start is None:
        raise StandardFormatError("no 'KSBs' section")
    ksbs: list[Ksb] = []
    current: tuple[str, int, list[str]] | None = None

    def flush() -> None:
        if current is not None:
            kind, number, body = current
            ksbs.append(Ksb(id=f"{kind}{number}", kind=kind, number=number, text=_join(body)))  # type: ignore[arg-type]

    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped == "Qualifications":
            break
        match = _KSB_START.match(stripped)
        if match:
            flush()
            current = (match.group(1), int(match.group(2)), [match.group(3)])
        elif stripped in _SECTION_END:
            flush()
            current = None
        elif current is not None:
            current[2].append(stripped)
    flush()
    return ksbs


def _parse_duties(lines: list[str]) -> list[Duty]:
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Occupation duties")
        end = next(i for i, line in enumerate(lines) if line.strip() == "KSBs")
    except StopIteration as exc:
        raise StandardFormatError("no 'Occupation duties' table") from exc
    duties: list[Duty] = []
    number: int | None = None
    text: list[str] = []
    ids: list[str] = []

    def flush() -> None:
        if number is not None:
            duties.append(Duty(number=number, text=_join(text), ksb_ids=tuple(ids)))

    for line in lines[start + 1 : end]:
        stripped = line.strip()
        match = _DUTY_START.match(stripped)
        if match:
            flush()
            number, text, ids = int(match.group(1)), [match.group(2)], []
            continue
        if number is None or not stripped:
            continue
        tokens = stripped.split()
        if all(_ID_TOKEN.match(t) for t in tokens):
            ids.extend(tokens)
        else:
            text.append(stripped)
    flush()
    return duties


def parse_standard_text(text: str) -> Standard:
    lines = text.splitlines()
    reference = _value_after(lines, "UOS reference number")
    level_text = _value_after(lines, "Level of occupation")
    level_match = re.search(r"\d+", level_text)
    if not level_match:
        raise StandardFormatError(f"unreadable level: {level_text!r}")
    ksbs = _parse_ksbs(lines)
    if not ksbs:
        raise StandardFormatError("no KSBs found")
    known = {k.id for k in ksbs}
    duties = _parse_duties(lines)
    for duty in duties:
        unknown = [i for i in duty.ksb_ids if i not in known]
        if unknown:
            raise StandardFormatError(f"duty {duty.number} names unknown KSBs: {unknown}")
        for ksb_id in duty.ksb_ids:
            split_id(ksb_id)
    return Standard(
        reference=reference,
        title=_title(lines),
        level=int(level_match.group()),
        ksbs=tuple(ksbs),
        duties=tuple(duties),
        programme=parse_programme(lines),
    )


def load_standard_text(path: Path) -> Standard:
    return parse_standard_text(path.read_text(encoding="utf-8"))
