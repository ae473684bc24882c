"""The texts people see (replies, button labels, errors, hints, help), by name, from one catalogue.

They are data in `texts/ui.yaml`, so the wording is read and changed in one place
and never hides in a string literal; `prompts/` keeps the texts a model reads.
`tests/test_ui_text.py` checks that every name the code asks for exists, every
entry is asked for, and the placeholders given match the entry's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter
from types import MappingProxyType

import yaml

CATALOGUE = Path(__file__).resolve().parent.parent / "texts" / "ui.yaml"


def placeholders(template: str) -> frozenset[str]:
    """The `{name}` fields of a template; `{{` and `}}` are literal braces."""
    return frozenset(field for _, field, _, _ in Formatter().parse(template) if field is not None)


@dataclass(frozen=True)
class Catalogue:
    """Named templates with `{name}` placeholders; read once, never changed."""

    texts: Mapping[str, str]

    @classmethod
    def read(cls, path: Path = CATALOGUE) -> Catalogue:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise ValueError(f"{path}: expected a mapping of names to texts")
        for name, template in raw.items():
            bad = [f"{{{field}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}"
                   for _, field, spec, conv in Formatter().parse(template)
                   if field is not None and (not field.isidentifier() or spec or conv)]
            if bad:  # no attribute or index access, no conversions or format specs
                raise ValueError(f"{path}: {name}: placeholders must be plain names, not {bad}")
        return cls(MappingProxyType(dict(raw)))

    def text(self, name: str, /, **values: object) -> str:
        """The named text with its placeholders filled; a value is inserted as is, never re-expanded."""
        return self.texts[name].format_map(values)


@cache
def catalogue() -> Catalogue:
    return Catalogue.read()


def ui(name: str, /, **values: object) -> str:
    """The text called `name` in `texts/ui.yaml`, filled with `values`."""
    return catalogue().text(name, **values)
