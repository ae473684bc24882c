"""The grounding rules every model call obeys, written once.

- User text goes into a prompt delimited and inert (`delimit`): it is data,
  never instructions, and cannot close the tag that holds it.
- A KSB id is whatever `mentioned_ids` finds ("S24", "s 24", "K07" -> "K7").
- Model output may name only ids it was given (`invented_ids` is what it made up).
- A reply cites KSBs with the standard's exact words (`citations`).
- A model call is bounded in time and any failure means the grounded text (`completion`);
  an answer replaced says why with one `FallbackReason` (`fallback_metadata`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable

from bot.messages import Citation
from bot.names import FallbackReason
from bot.ports import Composer
from knowledge.model import Standard

log = logging.getLogger(__name__)

_KSB_ID = re.compile(r"\b([KSB])\s?(\d{1,3})\b", re.IGNORECASE)


def delimit(text: str) -> str:
    """User text for inside <user_text> tags (or any prompt field): angle brackets made inert."""
    return text.replace("<", "‹").replace(">", "›")


def ordered_ids(text: str) -> list[str]:
    """Every KSB id the text names, normalised ("s 024" -> "S24"), once each in the order named."""
    return list(dict.fromkeys(f"{m.group(1).upper()}{int(m.group(2))}" for m in _KSB_ID.finditer(text)))


def mentioned_ids(text: str) -> set[str]:
    """Every KSB id the text names, normalised ("s 024" -> "S24")."""
    return set(ordered_ids(text))


def invented_ids(text: str, allowed: Iterable[str]) -> set[str]:
    """The ids `text` names that it was not given: a model answer with any is rejected."""
    return mentioned_ids(text) - set(allowed)


class Rejected(Exception):
    """A model's answer that cannot be sent: why (one `FallbackReason`) and the particulars (ids, an error's type)."""

    def __init__(self, reason: FallbackReason, detail: str = "") -> None:
        super().__init__(f"{reason} {detail}".strip())
        self.reason = reason
        self.detail = detail


def fallback_metadata(reason: FallbackReason, detail: str = "") -> dict[str, str]:
    """What a reply answered offline instead of by the model carries: the reason label and its particulars."""
    return {"fallback": reason.value, "composer": "grounded", **({"fallback_detail": detail} if detail else {})}


def citations(standard: Standard, ids: Iterable[str]) -> list[Citation]:
    """The standard's own words for each known id, once each, in the order given."""
    return [Citation(id=k.id, text=k.text, duties=tuple(standard.duties_for(k.id)))
            for i in dict.fromkeys(ids) if (k := standard.ksb(i)) is not None]


async def completion(composer: Composer, *, system: str, user: str, timeout: float, purpose: str) -> str | None:
    """The model's stripped text, or None when it fails, times out or says nothing: callers then answer grounded."""
    try:
        text = await asyncio.wait_for(composer.complete(system=system, user=user), timeout)
    except Exception as exc:  # an LLM failure of any kind falls back to the grounded text
        log.warning("%s: model call failed (%s); using the grounded text", purpose, type(exc).__name__)
        return None
    return text.strip() if text and text.strip() else None
