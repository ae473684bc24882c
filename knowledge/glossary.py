"""Shorthand apprentices write ("w/", "DPIA", "k8s"), with what it stands for, kept as data."""

from __future__ import annotations

from pathlib import Path

import yaml

GLOSSARY_PATH = Path(__file__).parent / "glossary.yaml"


def load_glossary(path: Path = GLOSSARY_PATH) -> dict[str, str]:
    """Lower-cased shorthand -> expansion; a missing file is an empty glossary."""
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).strip().lower(): str(v).strip() for k, v in (raw.get("shorthand") or {}).items()}
