"""Split a log entry into the activities it describes, each with a short label for reasons.

A week's entry tells several stories ("monday the api went down… thursday wrote the
handover pack"), and scored as one text they blur into the KSB that is vaguely like
all of them. Activities are cut at line breaks and bullets, sentence ends, ";", a
clause starting "then", and a day of the week opening a clause. A fragment without
enough words to carry evidence joins its neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAY = (r"(?:mon|tues?|wed(?:nes)?|weds|thu(?:rs?)?|thurs|fri|sat(?:ur)?|sun)(?:day)?s?"
        r"(?:\s*(?:/|-|and|&|\+)\s*(?:mon|tues?|wed(?:nes)?|weds|thu(?:rs?)?|thurs|fri|sat(?:ur)?|sun)(?:day)?s?)?")
_DOING = r"(?:i|we|did|was|had|spent|wrote|went)"
_DAY_START = re.compile(rf"^(?:on\s+)?({_DAY})\b[\s:,-]*", re.IGNORECASE)
_BREAK = re.compile(
    r"\n+\s*(?:[-*•·]|\d+[.)])?\s*"  # line breaks and bullets
    r"|^\s*(?:[-*•·]|\d+[.)])\s+"  # a bullet on the first line
    r"|(?<=[.!?;])\s+"  # sentence ends and semicolons
    r"|,?\s+(?=then\s)"  # "…, then …"
    rf"|(?<!\band)(?<!\bor)(?<![&/+])[,.]?\s+(?=(?:on\s+)?{_DAY}\b\s*(?:[:,-]|{_DOING}\b))",  # "… tuesday i …"
    re.IGNORECASE,
)
_LABEL_WORDS = 6


@dataclass(frozen=True)
class Activity:
    text: str
    label: str  # "Thursday" or the activity's first words, for reasons


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _day_name(written: str) -> str:
    """'tue' -> 'Tuesday', 'weds' -> 'Wednesday'; a span such as 'tuesday/wednesday' is kept as written."""
    lowered = written.lower()
    if lowered.isalpha():
        for day in _DAYS:
            if lowered.startswith(day[:3].lower()):
                return day
    return written[:1].upper() + written[1:].lower()


def _label(text: str) -> str:
    day = _DAY_START.match(text)
    if day:
        return _day_name(day.group(1))
    words = text.rstrip(".!?;,").split()
    head = " ".join(words[:_LABEL_WORDS])
    return head + ("…" if len(words) > _LABEL_WORDS else "")


def split_activities(text: str, *, min_words: int = 4) -> list[Activity]:
    """The entry's activities in order; a short entry is one activity."""
    pieces = [p.strip(" \t,;") for p in _BREAK.split(text.strip()) if p and p.strip(" \t,;")]
    merged: list[Activity] = []
    pending = ""  # a short opening fragment ("busy one.") waits for the next activity
    for piece in pieces:
        if len(_DAY_START.sub("", piece).split()) < min_words and not _DAY_START.match(piece):
            if merged:
                merged[-1] = Activity(f"{merged[-1].text} {piece}", merged[-1].label)
            else:
                pending = f"{pending} {piece}".strip()
            continue
        merged.append(Activity(f"{pending} {piece}".strip(), _label(piece)))
        pending = ""
    if pending:
        merged.append(Activity(pending, _label(pending)))
    return merged or [Activity(text.strip(), _label(text.strip()))]
