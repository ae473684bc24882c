"""Typed shape of an apprenticeship standard, shared by every loader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

KsbKind = Literal["K", "S", "B"]
KIND_NAMES: dict[str, str] = {"K": "knowledge", "S": "skill", "B": "behaviour"}
_ID = re.compile(r"^([KSB])(\d+)$")


@dataclass(frozen=True)
class Ksb:
    id: str
    kind: KsbKind
    number: int
    text: str

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass(frozen=True)
class Duty:
    number: int
    text: str
    ksb_ids: tuple[str, ...]
    core: bool = True


@dataclass(frozen=True)
class Programme:
    """What a standard says about the apprenticeship itself, in its own words; empty where it is silent."""

    status: str = ""
    typical_duration: str = ""
    duration_months: int | None = None
    occupation_summary: str = ""
    job_titles: tuple[str, ...] = ()
    reports_to: str = ""
    entry_requirements: str = ""
    english_maths: str = ""
    degree: str = ""
    professional_recognition: str = ""
    mandated_qualifications: str = ""
    progression_routes: tuple[str, ...] = ()
    route: str = ""
    kind_headings: tuple[tuple[str, str], ...] = ()  # ("K", "Knowledge"): the standard's own section names


@dataclass(frozen=True)
class Standard:
    reference: str
    title: str
    level: int
    ksbs: tuple[Ksb, ...]
    duties: tuple[Duty, ...]
    version: str = ""
    status: str = ""  # e.g. "in development": the text is a draft, not yet approved
    minimum_otj_hours: int | None = None
    programme: Programme = field(default_factory=Programme)
    _by_id: dict[str, Ksb] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({k.id: k for k in self.ksbs})

    def ksb(self, ksb_id: str) -> Ksb | None:
        return self._by_id.get(ksb_id.upper())

    def duty(self, number: int) -> Duty | None:
        return next((d for d in self.duties if d.number == number), None)

    def of_kind(self, kind: str) -> list[Ksb]:
        return [k for k in self.ksbs if k.kind == kind]

    def duties_for(self, ksb_id: str) -> list[int]:
        return [d.number for d in self.duties if ksb_id in d.ksb_ids]

    def id_range(self, kind: str) -> str:
        """Human range of ids for a kind, e.g. 'S1–S32', used in 'no such KSB' replies."""
        numbers = [k.number for k in self.of_kind(kind)]
        if not numbers:
            return f"this standard has no {KIND_NAMES[kind]} ids"
        return f"{kind}{min(numbers)}–{kind}{max(numbers)}"

    @property
    def slug(self) -> str:
        return self.reference.lower()


def split_id(ksb_id: str) -> tuple[str, int]:
    match = _ID.match(ksb_id.upper())
    if not match:
        raise ValueError(f"not a KSB id: {ksb_id!r}")
    return match.group(1), int(match.group(2))


def sort_key(ksb_id: str) -> tuple[int, int]:
    kind, number = split_id(ksb_id)
    return ("KSB".index(kind), number)
