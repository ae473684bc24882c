"""Jinja2 rendering for documents: HTML (autoescaped) and Markdown (escaped by a filter).

The apprentice's text is data in both: HTML autoescaping turns markup into
text, and the `md` filter backslash-escapes every character Markdown would
act on, so "<b>", "**", "[x](y)" or "# " in an entry appear exactly as typed.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_INLINE = re.compile(r"([\\`*_\[\]|~<>&])")
_MD_LINE_START = re.compile(r"^(\s*\d*)([#>+=.)-])")


def _inert(line: str) -> str:
    """Backslash-escape what Markdown acts on inline, and a block marker opening the line."""
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", _MD_INLINE.sub(r"\\\1", line))


def md(text: object) -> str:
    """Markdown-inert text on one line (a table cell, a heading)."""
    return _inert(" ".join(str(text).split()))


def md_block(text: object) -> str:
    """Markdown-inert text keeping its lines, each as a quoted line (`> `)."""
    lines = str(text).replace("\r\n", "\n").split("\n")
    return "\n".join(f"> {_inert(line)}" if line.strip() else ">" for line in lines)


def hours(value: float) -> str:
    return f"{value:g}"


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md, md_block=md_block, hours=hours, data_uri=data_uri)
    return env


@cache
def _env(autoescape: bool) -> Environment:
    return _environment(autoescape)


def render_template(name: str, **context: Any) -> str:
    """HTML templates (`*.html`) are autoescaped; Markdown ones escape with `md` explicitly."""
    return _env(name.endswith(".html")).get_template(name).render(**context)
