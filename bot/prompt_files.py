"""Prompts and message templates live as files in `prompts/`; this reads and fills them."""

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
