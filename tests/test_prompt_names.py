"""Every template the code asks for by name exists in prompts/, and every template is asked for."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "prompts"
_NAMED = re.compile(r"""\b(?:render|load)\(\s*(f?)(["'])([^"']+\.md)\2""")
_LITERAL = re.compile(r"""["']([\w.-]+\.md)["']""")  # names chosen first, rendered later


def _names_in_code() -> tuple[set[str], set[str]]:
    """(exact names, prefixes of f-string families such as smalltalk_{kind}.md)."""
    exact: set[str] = set()
    families: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for is_f, _, name in _NAMED.findall(path.read_text("utf-8")):
            if is_f and "{" in name:
                families.add(name.split("{", 1)[0])
            else:
                exact.add(name)
    return exact, families


def test_every_named_template_exists() -> None:
    exact, families = _names_in_code()
    assert len(exact) > 10  # the scan itself works
    assert sorted(n for n in exact if not (PROMPTS / n).is_file()) == []
    available = [p.name for p in PROMPTS.glob("*.md")]
    assert sorted(f for f in families if not any(n.startswith(f) for n in available)) == []


def test_every_template_is_used() -> None:
    _, families = _names_in_code()
    literals = {n for path in (ROOT / "bot").rglob("*.py") for n in _LITERAL.findall(path.read_text("utf-8"))}
    unused = [p.name for p in PROMPTS.glob("*.md")
              if p.name not in literals and not any(p.name.lower().startswith(f.lower()) for f in families)]
    assert sorted(unused) == []
