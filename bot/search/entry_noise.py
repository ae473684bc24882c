"""Recognise entries that are not a description of work: only emoji, only links, pasted code or a trace.

These get no tags and a one-line hint instead of suggestions scored from noise
(a stack trace shares plenty of words with "debugged the live service").
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.ui_text import ui

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TRACE = re.compile(r"Traceback \(most recent call last\)|^\s+at [\w.$<>]+\(.*\)$|^\s*File \".+\", line \d+"
                    r"|^\w+(?:\.\w+)*(?:Error|Exception)(?::|$)", re.MULTILINE)
_CODE_LINE = re.compile(r"^\s*(?:def |class |import |from \S+ import |return\b|if .+:$|for .+:$|SELECT |#include|"
                        r"[\w.\[\]\"']+\s*=\s*\S|[{}();]+$|.*[;{]\s*$|//|</?\w+[^>]*>)", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]{2,}")


class Noise(StrEnum):
    EMOJI = "emoji"
    URL = "url"
    CODE = "code"
    TRACE = "trace"


def noise_kind(text: str) -> Noise | None:
    """What the entry is instead of prose, or None when it reads as prose (perhaps with a link or a line of code)."""
    without_links = _URL.sub(" ", text)
    words = _LETTERS.findall(without_links)
    if not words:
        return Noise.URL if _URL.search(text) else Noise.EMOJI
    if _TRACE.search(text):
        prose = [line for line in text.splitlines() if line.strip() and not _TRACE.search(line)
                 and len(_LETTERS.findall(line)) >= 6 and not _CODE_LINE.match(line)]
        if len(prose) < 2:
            return Noise.TRACE
    lines = [line for line in text.splitlines() if line.strip()]
    code = sum(1 for line in lines if _CODE_LINE.match(line))
    if len(lines) >= 2 and code / len(lines) >= 0.6:
        return Noise.CODE
    return None


def noise_hint(text: str) -> str:
    """The one-line hint for an entry that is not prose ("" for prose): what to write instead."""
    noise = noise_kind(text)
    return ui(f"tag_hint_{noise.value}") if noise else ""
