"""No two modules and no two types share a name, so a name found in a traceback or a search means one thing.

The platform packages are the one deliberate exception: `bot/adapters/slack/` and
`bot/adapters/teams/` each have an `app`, an `adapter`, a `sender` and a `stream`
(the agent's `Stream` port lives in `bot/agent/stream.py`).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "knowledge", "storage")
PLATFORM_ROLES = {"adapter", "app", "sender", "stream"}


def _sources() -> list[Path]:
    return [p for folder in PACKAGES for p in sorted((ROOT / folder).rglob("*.py"))
            if "migrations" not in p.parts]


def _type_names(path: Path) -> list[str]:
    """Classes and module-level type aliases (`X = Callable[...]`, `X: TypeAlias = ...`)."""
    names = []
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Subscript | ast.BinOp) and not node.targets[0].id.isupper() \
                and node.targets[0].id[:1].isupper():
            names.append(node.targets[0].id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias":
            names.append(node.target.id)
    return names


def test_no_two_modules_share_a_name() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in _sources():
        if path.name != "__init__.py":
            where[path.stem].append(str(path.relative_to(ROOT)))
    assert len(where) > 150  # the scan itself works
    shared = {name: paths for name, paths in where.items() if len(paths) > 1 and name not in PLATFORM_ROLES}
    assert shared == {}


def test_no_two_types_share_a_name() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in _sources():
        for name in _type_names(path):
            where[name].append(str(path.relative_to(ROOT)))
    assert len(where) > 150
    shared = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert shared == {}
