"""Every text the code asks `ui()` for exists in texts/ui.yaml, every entry is asked for, and the
placeholders each call fills are the entry's own. The code is read with `ast`, so a name must be
written where `ui()` is called: a literal, a literal on each side of `if … else`, or an f-string
family whose literal prefix names its members (`f"smalltalk_{kind}"`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.ui_text import Catalogue, catalogue, placeholders, ui

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("bot", "bench")


@dataclass(frozen=True)
class Use:
    where: str
    names: tuple[str, ...]  # exact names
    family: str | None  # an f-string's literal prefix
    given: frozenset[str]  # keyword placeholders written at the call
    spread: bool  # **values at the call: only what is written can be checked


def _names(node: ast.expr, where: str) -> tuple[tuple[str, ...], str | None]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,), None
    if isinstance(node, ast.IfExp):
        body, body_family = _names(node.body, where)
        other, other_family = _names(node.orelse, where)
        assert body_family is None and other_family is None, f"{where}: one f-string family per call"
        return body + other, None
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return (), str(node.values[0].value)
    raise AssertionError(f"{where}: ui() needs its name written at the call, not {ast.dump(node)[:60]}")


def uses() -> list[Use]:
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ui":
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    names, family = _names(node.args[0], where)
                    given = frozenset(k.arg for k in node.keywords if k.arg is not None)
                    spread = any(k.arg is None for k in node.keywords)
                    found.append(Use(where, names, family, given, spread))
    return found


def _members(family: str) -> list[str]:
    return [name for name in catalogue().texts if name.startswith(family)]


def test_every_name_used_exists() -> None:
    found = uses()
    assert len(found) > 80  # the scan itself works
    texts = catalogue().texts
    assert [(u.where, n) for u in found for n in u.names if n not in texts] == []
    assert [(u.where, u.family) for u in found if u.family is not None and not _members(u.family)] == []


def test_every_entry_is_used() -> None:
    found = uses()
    used = {n for u in found for n in u.names} | {m for u in found if u.family for m in _members(u.family)}
    assert sorted(set(catalogue().texts) - used) == []


def test_placeholders_match() -> None:
    texts = catalogue().texts
    wrong = []
    for use in uses():
        if use.names:  # every placeholder of each name given; none given that no name has
            wanted = [placeholders(texts[name]) for name in use.names]
            if use.given - frozenset().union(*wanted) or not use.spread and any(w - use.given for w in wanted):
                wrong.append((use.where, use.names, sorted(use.given), [sorted(w) for w in wanted]))
        for name in _members(use.family) if use.family else []:
            needed = placeholders(texts[name])
            if not use.spread and not needed <= use.given:
                wrong.append((use.where, (name,), sorted(use.given), [sorted(needed)]))
    assert wrong == []


def test_values_are_not_expanded_again() -> None:
    assert "{total}" in ui("review_not_found", name="{total}")


@pytest.mark.parametrize("text", ["{a.b}", "{0}", "{name!r}", "{hours:g}", "{}"])
def test_placeholders_are_plain_names(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ui.yaml"
    path.write_text(f"one: '{text}'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="plain names"):
        Catalogue.read(path)


def test_a_catalogue_is_a_mapping_of_texts(tmp_path: Path) -> None:
    path = tmp_path / "ui.yaml"
    path.write_text("one:\n  nested: text\n", encoding="utf-8")
    with pytest.raises(ValueError, match="mapping of names to texts"):
        Catalogue.read(path)
    path.write_text("one: 'Hello {name}, {{literal}}'\n", encoding="utf-8")
    assert Catalogue.read(path).text("one", name="Ann") == "Hello Ann, {literal}"
