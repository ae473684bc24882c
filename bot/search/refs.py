"""Explicit references in what people type: 'S24', 's 24', 'k13??', 'behaviour 2', 'duty 4', 'd9'."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_KIND_WORDS = {
    "k": "K", "knowledge": "K",
    "s": "S", "skill": "S",
    "b": "B", "behaviour": "B", "behavior": "B",
}
_KSB = re.compile(
    r"(?<![\w'’])(knowledge|skill|behaviou?r|[ksb])\s?[-#]?\s?(\d{1,3})(?![\d.,:]\d)(?![a-z])(?!\s+buckets?)",
    re.IGNORECASE,
)
_DUTY = re.compile(r"(?<![\w'’])(?:duty|d)\s?[-#]?\s?(\d{1,2})(?!\d)(?![a-z])", re.IGNORECASE)
_LIST_KIND = re.compile(
    r"\b(?:what|which|list|show|all)\b.*\b(behaviours|behaviors|skills|knowledges?)\b(?!\s+(?:about|for|on|cover))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class References:
    ksb_ids: list[str] = field(default_factory=list)
    duties: list[int] = field(default_factory=list)
    list_kind: str = ""

    @property
    def any(self) -> bool:
        return bool(self.ksb_ids or self.duties or self.list_kind)


def find_references(text: str) -> References:
    """Ids in order of appearance, de-duplicated; unknown ids are kept so callers can say so."""
    ksb_ids: list[str] = []
    for match in _KSB.finditer(text):
        word = match.group(1).lower()
        kind = _KIND_WORDS.get(word) or _KIND_WORDS["behaviour"]
        ksb_id = f"{kind}{int(match.group(2))}"
        if ksb_id not in ksb_ids:
            ksb_ids.append(ksb_id)
    duties: list[int] = []
    for match in _DUTY.finditer(text):
        number = int(match.group(1))
        if number not in duties:
            duties.append(number)
    list_kind = ""
    listing = _LIST_KIND.search(text)
    if listing and not ksb_ids and not duties:
        list_kind = listing.group(1)[0].upper()
    return References(ksb_ids=ksb_ids, duties=duties, list_kind=list_kind)
