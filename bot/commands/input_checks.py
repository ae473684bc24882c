"""Validate text typed at the CLI so bad input gets a message and an exit code, not a traceback."""

from __future__ import annotations

import re

MAX_CHARS = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(ValueError):
    pass


def check_text(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise BadInput("empty text: type a question, e.g. 'what counts for S24?'")
    if len(stripped) > MAX_CHARS:
        raise BadInput(f"text too long: {len(stripped):,} characters (the limit is {MAX_CHARS:,})")
    if _CONTROL.search(stripped):
        raise BadInput("text contains control characters; send plain text")
    return stripped
