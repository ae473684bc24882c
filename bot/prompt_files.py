"""The texts a model reads (system and user prompts, tool results) are files in `prompts/`; this reads
and fills them. The texts people see are in `texts/ui.yaml` (`bot.ui_text`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


def render(template: str, **values: str) -> str:
    """`$name` placeholders; a value never re-expands, so user text cannot inject placeholders."""
    return Template(load(template)).substitute(values)
