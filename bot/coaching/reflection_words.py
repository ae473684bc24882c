"""Off-the-job hours and the date of the work, read from a reflection's own words.

Apprentices write "yesterday, 45 minutes pairing on…" rather than filling in
fields, so the text is read when the fields are empty. Hours are a small
parser of our own (durations have few shapes); dates are interpreted by
dateparser, which knows far more shapes than we would write. dateparser also
finds "dates" in words such as "we", so only phrases that name a day (today,
a weekday, a day of a month, "N days ago") are accepted from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

_NUMBER_WORDS = {
    "a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
    "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0,
    "fifteen": 15.0, "twenty": 20.0, "thirty": 30.0, "forty": 40.0, "forty-five": 45.0, "ninety": 90.0,
    "half a": 0.5, "half an": 0.5, "a couple of": 2.0, "a couple": 2.0, "couple of": 2.0,
}
_NUM = r"(?:\d+(?:[.,]\d+)?|" + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len,
                                                reverse=True)) + r")"
_UNIT_HOURS = r"(?:h|hrs?|hours?)"
_UNIT_MINUTES = r"(?:mins?|minutes?)"
# "1h30", "1hr15", "1 hour 30 minutes", "2.5 hours", "90 mins", "an hour and a half", "two full days"
_DURATION = re.compile(
    rf"(?<![\w.])(?P<n>{_NUM})(?P<half>\s+and\s+a\s+half)?[\s-]*"
    rf"(?:(?:full|whole|working|work)[\s-]+)?"
    rf"(?P<unit>{_UNIT_HOURS}|{_UNIT_MINUTES}|days?)(?:\b|(?=\d))(?P<half2>\s+and\s+a\s+half)?"
    rf"(?:(?:(?<=h)|(?<=hr)|(?<=hrs))(?P<m>\d{{2}})\b|\s*(?:and\s+)?(?P<m2>\d{{1,2}})\s*{_UNIT_MINUTES}\b)?",
    re.I)
_HALF_DAY = re.compile(r"\b(?:half\s+a|half-a|a\s+half|half)[\s-]+day\b", re.I)
_FULL_DAY = re.compile(r"\b(?:(?:a|the|one)\s+)?(?:full|whole|entire)[\s-]+day\b|\ball[\s-]+day\b", re.I)
MAX_DAYS = 5
# Words before a duration that make it a frequency, a limit or a span of data rather than time spent.
_NOT_TIME_SPENT = re.compile(r"\b(?:every|per|each|once|twice|within|under|than|over|last|past|next|"
                             r"of|times|after|before|from|to|retention)\s*$", re.I)
_AFTER_NOT_SPENT = re.compile(r"^\s*(?:ago|later|earlier|of\s+data|old|window|"
                              r"lag|latency|delay|sla|timeout|in\s+advance)\b", re.I)
_NO_TIME = re.compile(
    r"\b(?:no|zero|0|none|nil)\s+(?:otj|off[\s-]the[\s-]job)(?:\s+(?:time|hours?|training))?\b"
    r"|\bnot\s+(?:otj|off[\s-]the[\s-]job)\b"
    r"|\b(?:otj|off[\s-]the[\s-]job)(?:\s+(?:time|hours?))?\s*(?::|=|-|was|were|is)?\s*(?:none|nil|zero|0)\b"
    r"|\bdid(?:n'?t| not)\s+count\s+(?:as|towards?)\s+(?:otj|off[\s-]the[\s-]job)\b",
    re.I)

# Phrases dateparser may interpret: they must name a day, not a week, month or a stray word.
_DAY_ANCHOR = re.compile(
    r"\b(?:today|yesterday|tomorrow|tonight|this\s+(?:morning|afternoon|evening)|"
    r"(?:mon|tues?|wed|weds|thur?s?|fri)(?:day)?|saturday|sunday)\b"
    r"|\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|couple\s+of|few)"
    r"\s+(?:days?|weeks?)\s+ago\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",  # not "24/7" or "3/4 of the tests"
    re.I)
_LAST = re.compile(r"\b(?:last|ago|previous|before)\b", re.I)


@dataclass(frozen=True)
class Reading:
    """What was read from the text, and the words it came from, so the reply can say so."""

    value: float
    phrase: str


@dataclass(frozen=True)
class DateReading:
    value: date
    phrase: str


def read_hours(text: str, *, working_day: float) -> Reading | None:
    """Off-the-job hours the text states, summed over its durations; None when it states none."""
    no_time = _NO_TIME.search(text)
    if no_time:
        return Reading(0.0, no_time.group(0))
    found = _durations(text, working_day)
    if not found:
        return None
    return Reading(round(sum(hours for _, hours in found), 2),
                   ", ".join(text[start:end].strip() for (start, end), _ in found))


def read_date(text: str, *, today: date) -> DateReading | None:
    """The first day the text names that is not after today; a future day only if it names no other.

    A reflection's "Now what?" often names a future day ("tomorrow I'll
    present it"), so a past day wins; a text that names only future days
    is returned as such for the caller to query.
    """
    cleaned = _without_durations(text)
    if not _DAY_ANCHOR.search(cleaned):
        return None  # every phrase kept below matches it: skip dateparser's second of loading
    from dateparser.search import search_dates  # a heavy import, needed only for free text

    found = search_dates(cleaned, languages=["en"], settings=_settings(today)) or []
    days = [(phrase, _this_week(phrase, when.date(), today)) for phrase, when in found
            if _DAY_ANCHOR.search(phrase)]
    for phrase, day in days:
        if day <= today:
            return DateReading(day, phrase.strip(" ,.;"))
    if days:
        return DateReading(days[0][1], days[0][0].strip(" ,.;"))
    return None


def parse_date(phrase: str, *, today: date) -> date | None:
    """One date phrase ("28 Nov", "last friday", "2026-11-28") as a day, or None."""
    import dateparser

    when = dateparser.parse(phrase, languages=["en"], settings=_settings(today))
    return when.date() if when is not None else None


def parse_hours(phrase: str, *, working_day: float) -> float | None:
    """One hours phrase ("2", "1.5h", "90 mins", "half a day") as hours, or None."""
    bare = phrase.strip().rstrip(".")
    try:
        return float(bare)
    except ValueError:
        reading = read_hours(bare, working_day=working_day)
        return reading.value if reading is not None else None


def _settings(today: date) -> Any:
    return {"RELATIVE_BASE": datetime.combine(today, time(12)), "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False}


def _this_week(phrase: str, day: date, today: date) -> date:
    """A bare weekday that is today's ("friday was timesheets", written on a Friday) means today.

    dateparser, told to prefer the past, reads it as a week ago; "last friday" keeps that reading.
    """
    if (today - day).days == 7 and not _LAST.search(phrase):
        return today
    return day


def _spent(text: str, start: int, end: int) -> bool:
    return not _NOT_TIME_SPENT.search(text[:start]) and not _AFTER_NOT_SPENT.match(text[end:])


def _number(raw: str) -> float:
    lowered = re.sub(r"\s+", " ", raw.lower())
    if lowered in _NUMBER_WORDS:
        return _NUMBER_WORDS[lowered]
    return float(lowered.replace(",", "."))


def _durations(text: str, working_day: float) -> list[tuple[tuple[int, int], float]]:
    """((start, end), hours) of each stretch of time spent the text names, in order."""
    found: list[tuple[tuple[int, int], float]] = []
    for pattern, days in ((_HALF_DAY, 0.5), (_FULL_DAY, 1.0)):
        found += [(m.span(), days * working_day) for m in pattern.finditer(text)]
    for match in _DURATION.finditer(text):
        if not any(s <= match.start() < e for (s, e), _ in found):
            hours = _duration_hours(match, working_day)
            if hours is not None:
                found.append((match.span(), hours))
    return sorted(((span, hours) for span, hours in found if _spent(text, *span)), key=lambda f: f[0])


def _duration_hours(match: re.Match[str], working_day: float) -> float | None:
    amount = _number(match.group("n"))
    if match.group("half") or match.group("half2"):
        amount += 0.5
    unit = match.group("unit").lower()
    if unit.startswith("d"):  # "90 days" is a retention period, not time spent learning
        return amount * working_day if amount <= MAX_DAYS else None
    if unit.startswith("m"):
        return amount / 60
    minutes = match.group("m") or match.group("m2")
    return amount + (int(minutes) / 60 if minutes else 0.0)


def _without_durations(text: str) -> str:
    """Time spent blanked out, so "an hour on monday" is not read as a date by dateparser."""
    for (start, end), _ in _durations(text, working_day=1.0):  # only where they are matters here
        text = text[:start] + " " * (end - start) + text[end:]
    return text
