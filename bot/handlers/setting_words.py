"""A prompt-settings message read as a `Change`: "prompts off", "prompts friday 4pm", "nudges monday 9:30".

Chat words are the handlers' concern; the scheduler's `PromptSettings` only applies a `Change`.
"""

from __future__ import annotations

import re
from datetime import time

from bot.scheduler.due import WEEKDAYS
from bot.scheduler.settings import Change

_OFF = re.compile(r"\b(off|stop|pause|disable|no more|unsubscribe)\b", re.I)
_ON = re.compile(r"\b(on|start|resume|enable)\b", re.I)
_DAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)
_TIME = re.compile(r"\b(?:at\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\s|$|[,.!])",
                   re.I)
_NOON = re.compile(r"\b(noon|midday)\b", re.I)


def _hour(hour: int, minute: int, meridiem: str) -> time | None:
    meridiem = meridiem.lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and 1 <= hour <= 6:  # "at 4" during a working week means 4pm
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_change(text: str) -> Change | None:
    """Understand "prompts off", "prompts on", "prompts friday 4pm", "nudges monday 9:30"; None if not."""
    words = re.sub(r"^\s*(weekly\s+)?(prompts?|reminders?|nudges?)\b", "", text.strip(), flags=re.I)
    if not words.strip():
        return Change()
    day = _DAY.search(words)
    weekday = [w[:3] for w in WEEKDAYS].index(day.group(1).lower()) if day else None
    at: time | None = time(12, 0) if _NOON.search(words) else None
    clock_text = _DAY.sub(" ", words)
    match = _TIME.search(clock_text)
    if match:
        at = _hour(int(match.group(1)), int(match.group(2) or 0), match.group(3) or "")
        if at is None:
            return None
    if _OFF.search(words) and weekday is None and at is None:
        return Change(enabled=False)
    if weekday is not None or at is not None:
        return Change(enabled=True, weekday=weekday, at=at)
    if _ON.search(words):
        return Change(enabled=True)
    return None


_CHANGE_WORDS = re.compile(r"\d|\b(change|move|set|switch|make|put|turn|shift|every|at)\b", re.I)


def tries_to_change(text: str) -> bool:
    """A message `parse_change` did not understand still asked for a change when it names a time or a
    changing verb ("move my prompts to 25pm"); "when does my prompt come?" only asks what the setting is."""
    return bool(_CHANGE_WORDS.search(text) or _DAY.search(text))
