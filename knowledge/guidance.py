"""Per-KSB guidance: plain-English explanation, evidence ideas, keywords and typical logged activities.

Activities are written the way apprentices describe their week, so a reflection can be matched to
the KSB it evidences even when it shares no words with the standard's formal wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.model import Standard


@dataclass(frozen=True)
class KsbGuidance:
    explanation: str
    evidence: tuple[str, ...]
    keywords: tuple[str, ...]
    activities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Guidance:
    ksbs: dict[str, KsbGuidance] = field(default_factory=dict)
    duties: dict[int, str] = field(default_factory=dict)

    def for_ksb(self, ksb_id: str) -> KsbGuidance | None:
        return self.ksbs.get(ksb_id)

    def missing(self, standard: Standard) -> list[str]:
        return [k.id for k in standard.ksbs if k.id not in self.ksbs]


def load_guidance(path: Path) -> Guidance:
    """A missing file is an empty guidance: a newly added standard still answers from its text."""
    if not path.exists():
        return Guidance()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 20x faster on the bundled file
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
    ksbs = {
        str(ksb_id).upper(): KsbGuidance(
            explanation=str(entry.get("explanation", "")).strip(),
            evidence=tuple(str(e).strip() for e in entry.get("evidence") or []),
            keywords=tuple(str(k).strip() for k in entry.get("keywords") or []),
            activities=tuple(str(a).strip() for a in entry.get("activities") or []),
        )
        for ksb_id, entry in (raw.get("ksbs") or {}).items()
    }
    duties = {
        int(number): str((entry or {}).get("summary", "")).strip()
        for number, entry in (raw.get("duties") or {}).items()
    }
    return Guidance(ksbs=ksbs, duties=duties)
