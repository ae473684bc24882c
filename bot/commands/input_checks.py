"""Validate text typed at the CLI so bad input gets a message and an exit code, not a traceback."""

from __future__ import annotations

import re

from bot.ui_text import ui

MAX_CHARS = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(ValueError):
    pass


def check_text(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise BadInput(ui("cli_text_empty"))
    if len(stripped) > MAX_CHARS:
        raise BadInput(ui("cli_text_too_long", count=f"{len(stripped):,}", most=f"{MAX_CHARS:,}"))
    if _CONTROL.search(stripped):
        raise BadInput(ui("cli_text_control"))
    return stripped
