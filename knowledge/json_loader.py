"""Load a standard in the JSON shape of the public apprenticeship-standards API.

KSB ids there are GUIDs; the human ids K1/S1/B1 come from each item's position,
which is how the published standard numbers them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from knowledge.model import Duty, Ksb, KsbKind, Programme, Standard
from knowledge.text_loader import StandardFormatError

_LISTS: tuple[tuple[str, str, KsbKind], ...] = (
    ("knowledges", "knowledgeId", "K"),
    ("skills", "skillId", "S"),
    ("behaviours", "behaviourId", "B"),
)
_MAPPED = ("mappedKnowledge", "mappedSkills", "mappedBehaviour")


def _clean(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _hours(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    match = re.search(r"\d+", str(raw).replace(",", ""))
    return int(match.group()) if match else None


def _titles(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else re.split(r"[|;\n]", str(raw or ""))
    names = [item.get("name", "") if isinstance(item, dict) else item for item in items]
    return tuple(t for t in (_clean(n) for n in names) if t)


def _programme(data: dict[str, Any]) -> Programme:
    """The API's programme fields where present; the rest stay empty."""
    months = _hours(data.get("typicalDuration"))
    recognition = data.get("professionalRecognition") or data.get("regulatedBody")
    return Programme(
        status=_clean(data.get("status")),
        typical_duration=f"{months} months" if months else "",
        duration_months=months,
        occupation_summary=_clean(data.get("occupationSummary") or data.get("overviewOfRole")),
        job_titles=_titles(data.get("typicalJobTitles")),
        entry_requirements=_clean(data.get("entryRequirements")),
        degree=_clean(data.get("integratedDegree")),
        professional_recognition=_clean(recognition),
        route=_clean(data.get("route")),
    )


def parse_standard_json(data: dict[str, Any]) -> Standard:
    for key in ("referenceNumber", "title", "level"):
        if key not in data:
            raise StandardFormatError(f"missing top-level '{key}'")
    guid_to_id: dict[str, str] = {}
    ksbs: list[Ksb] = []
    for list_key, id_key, kind in _LISTS:
        for position, item in enumerate(data.get(list_key) or [], start=1):
            if not isinstance(item, dict) or "detail" not in item:
                raise StandardFormatError(f"{list_key}[{position - 1}] has no 'detail'")
            ksb = Ksb(id=f"{kind}{position}", kind=kind, number=position, text=_clean(item["detail"]))
            ksbs.append(ksb)
            if item.get(id_key):
                guid_to_id[str(item[id_key]).lower()] = ksb.id
    if not ksbs:
        raise StandardFormatError("no knowledges, skills or behaviours")
    duties: list[Duty] = []
    for number, item in enumerate(data.get("duties") or [], start=1):
        ids: list[str] = []
        for mapped in _MAPPED:
            for guid in item.get(mapped) or []:
                ksb_id = guid_to_id.get(str(guid).lower())
                if ksb_id is None:
                    raise StandardFormatError(f"duty {number} maps unknown id {guid}")
                ids.append(ksb_id)
        duties.append(
            Duty(
                number=number,
                text=_clean(item.get("dutyDetail")),
                ksb_ids=tuple(ids),
                core=bool(item.get("isThisACoreDuty", True)),
            )
        )
    level = _hours(data["level"])
    if level is None:
        raise StandardFormatError(f"unreadable level: {data['level']!r}")
    return Standard(
        reference=_clean(data["referenceNumber"]),
        title=_clean(data["title"]),
        level=level,
        version=_clean(data.get("version")),
        minimum_otj_hours=_hours(data.get("minimumHoursForCompliance")),
        programme=_programme(data),
        ksbs=tuple(ksbs),
        duties=tuple(duties),
    )


def load_standard_json(path: Path) -> Standard:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StandardFormatError(f"{path.name} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise StandardFormatError(f"{path.name}: expected a JSON object at the top level")
    return parse_standard_json(data)
