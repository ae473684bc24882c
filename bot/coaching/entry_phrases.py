"""Commands about a saved entry, in the apprentice's words: tag changes and corrections.

"confirm S5", "take S24 off that one", "tag entry 12 with S10", "change hours
to 2". Each must start with its verb and name what it changes, so ordinary
questions ("does K12 add anything to S5?") never read as commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.grounding import ordered_ids

_LEAD = (r"^\s*(?:(?:ok(?:ay)?|yes|yeah|yep|great|thanks|cool|and|also|then|now|so)\b[\s,!.]*)*"
         r"(?:(?:please|pls|plz|can you|could you|would you|i'?d like to|i would like to|i want to|"
         r"let'?s)\s+)*")
_ALL = re.compile(r"\b(?:all|both|everything|them|the lot|every one|each)\b", re.I)
_ENTRY = re.compile(r"(?:\b(?:entry|reflection|log)\s*(?:no\.?|number)?\s*#?\s*|#)(\d+)\b", re.I)
_REMOVE = re.compile(_LEAD + r"(?:remove|delete|drop|untag|reject|get rid of|strip|take\b(?=.*\boff\b)"
                     r"|take off|bin|ditch|scrap|(?:chuck|throw|knock)\b(?=.*\b(?:off|out|away)\b))\b", re.I)
_CONFIRM = re.compile(_LEAD + r"(?:confirm|accept|approve|keep)\b", re.I)
# "stick B4 on it", "pop K28 on that one", "chuck S10 on as well": everyday British for add.
_ADD = re.compile(_LEAD + r"(?:add|include|tag|also tag|put|stick|pop|bung|chuck|slap|whack|throw in)\b", re.I)
_CORRECT = re.compile(
    _LEAD + r"(?:change|set|update|correct|fix|make)\s+(?:the\s+)?"
    r"(?P<field>hours?|otj(?:\s+hours)?|off[\s-]the[\s-]job(?:\s+hours)?|time|date|day)\b"
    r"(?P<middle>.*?)\s*(?:to|=|:|as|should be)\s+(?P<value>\S.*?)\s*[.!]?\s*$",
    re.I)
# "log 2h of that", "put 90 mins on entry 4", "make it an hour and a half": hours given to a saved entry.
# The value must be only a duration and, after log/put/record, point at an entry, so "log 2 hours on the
# provider course today" (a new entry) is never read as a correction.
_SPAN = (r"(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|half an?|a couple of)\s*"
         r"(?:and a half\s*)?(?:h|hrs?|hours?|mins?|minutes?)(?:\s*(?:and\s+)?\d{1,2}\s*(?:m|mins?|minutes?)?)?"
         r"(?:\s+and\s+a\s+half)?|half\s+a\s+day|a\s+(?:full|whole)\s+day")
_POINTER = (r"(?:(?:of|for|on|against|to)\s+(?:that|it|this|(?:the\s+)?(?:last|latest)(?:\s+(?:one|entry|reflection))?"
            r"|(?:that|this|the)\s+(?:one|entry|reflection)|(?:entry|reflection)\s*(?:no\.?|number)?\s*#?\d+|#\d+))")
_HOURS_FOR_ENTRY = re.compile(
    _LEAD + r"(?:(?:log|put|record|count|book|add)\s+(?P<value>" + _SPAN + r")\s+(?:of\s+)?(?:otj\s+)?"
    + _POINTER + r"|(?:make|call)\s+(?:it|that)\s+(?P<value2>" + _SPAN + r")"
    r"|(?:it|that)\s+(?:was|took)\s+(?P<value3>" + _SPAN + r"))"
    r"(?:\s+(?:of\s+)?(?:otj|off[\s-]the[\s-]job))?\s*[.!]?\s*$",
    re.I)
# "confirm them all", "remove all the suggestions on that entry": words that may go with "all".
_ALL_FILLER = frozenset("all both everything them the lot every one each of suggestions suggested tags ksbs ksb "
                        "on for from in to that this it entry reflection last latest my please pls too as "
                        "well".split())
MAX_COMMAND_WORDS = 16
_QUOTED_TEXT = re.compile(r":\s*\S+(?:\s+\S+){3,}")  # "tag this entry: moved S3 data to glacier" is a preview


@dataclass(frozen=True)
class TagCommand:
    source: str  # confirmed | removed
    ids: tuple[str, ...]
    every_suggestion: bool  # "confirm all"
    entry_id: int | None  # named ("entry 12"); None means the entry being talked about


@dataclass(frozen=True)
class Correction:
    field: str  # date | hours
    value: str
    entry_id: int | None


def read_tag_command(text: str) -> TagCommand | None:
    if len(text.split()) > MAX_COMMAND_WORDS or "?" in text or _QUOTED_TEXT.search(text):
        return None
    entry_match = _ENTRY.search(text)
    entry_id = int(entry_match.group(1)) if entry_match else None
    rest = _ENTRY.sub(" ", text)
    ids = tuple(ordered_ids(rest))
    every = not ids and bool(_ALL.search(rest))
    if not ids and not every:
        return None
    for pattern, source in ((_REMOVE, "removed"), (_CONFIRM, "confirmed"), (_ADD, "confirmed")):
        verb = pattern.match(rest)
        if verb is None:
            continue
        if every and (pattern is _ADD or not _only_filler(rest[verb.end():])):
            return None  # "add all" names nothing; "delete all my data" is not about tags
        return TagCommand(source, ids, every, entry_id)
    return None


def _only_filler(words: str) -> bool:
    return set(re.findall(r"[a-z]+", words.lower())) <= _ALL_FILLER


def read_correction(text: str) -> Correction | None:
    if len(text.split()) > MAX_COMMAND_WORDS:
        return None
    match = _CORRECT.match(text)
    if match is None:
        given = _HOURS_FOR_ENTRY.match(text)
        if given is None:
            return None
        entry_match = _ENTRY.search(text)
        value = given.group("value") or given.group("value2") or given.group("value3")
        return Correction("hours", value.strip(), int(entry_match.group(1)) if entry_match else None)
    field = "date" if match.group("field").lower() in {"date", "day"} else "hours"
    entry_match = _ENTRY.search(match.group("middle"))
    return Correction(field, match.group("value").strip(), int(entry_match.group(1)) if entry_match else None)
