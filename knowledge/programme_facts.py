"""Programme facts as data: the rules every apprenticeship in England follows, and questions the standard answers.

Each file in `knowledge/programme/` gives a default `source` and `applies_from`
for its facts (a fact may override them) and optionally a `standard` it is
limited to. A fact either carries its own `answer` (a `$placeholder` template)
or names a `field` of the parsed standard whose words answer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROGRAMME_DIR = Path(__file__).parent / "programme"


@dataclass(frozen=True)
class ProgrammeFact:
    id: str
    title: str
    asks: tuple[str, ...]
    keywords: tuple[str, ...]
    source: str = ""
    applies_from: str = ""
    answer: str = ""
    field: str = ""
    also_source: str = ""
    requires: str = ""  # a Standard attribute that must be set for the fact to apply
    unless: str = ""  # ... or must not be


def _fact(entry: dict[str, Any], defaults: dict[str, Any]) -> ProgrammeFact:
    field_name = str(entry.get("field", ""))
    fact_id = str(entry.get("id") or f"standard-{field_name.replace('_', '-')}")
    if not field_name and not entry.get("answer"):
        raise ValueError(f"programme fact {fact_id!r} has neither an answer nor a field")
    source = entry.get("source", defaults.get("source", ""))
    if not field_name and not source:
        raise ValueError(f"programme fact {fact_id!r} names no source")
    return ProgrammeFact(
        id=fact_id,
        title=str(entry["title"]),
        asks=tuple(str(a) for a in entry.get("asks") or []),
        keywords=tuple(str(k) for k in entry.get("keywords") or []),
        source=str(source),
        applies_from=str(entry.get("applies_from", defaults.get("applies_from", ""))),
        answer=" ".join(str(entry.get("answer", "")).split()),
        field=field_name,
        also_source=str(entry.get("also_source", "")),
        requires=str(entry.get("requires", "")),
        unless=str(entry.get("unless", "")),
    )


def load_programme_facts(reference: str, folder: Path = PROGRAMME_DIR) -> list[ProgrammeFact]:
    """Every fact that applies to the standard `reference`, in file then file-order."""
    facts: list[ProgrammeFact] = []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        only_for = str(raw.get("standard", ""))
        if only_for and only_for.upper() != reference.upper():
            continue
        facts.extend(_fact(entry, raw) for entry in raw.get("facts") or [])
    ids = [f.id for f in facts]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"programme fact ids repeat: {duplicated}")
    return facts
