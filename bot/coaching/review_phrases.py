"""A progress review typed in chat ("record my review: agreed: …; …") read into its parts.

Reviews are records: the agreed actions and the three parties' comments are
stored, and the next pack opens with the actions. Chat has no form every
platform shares, so the record is one message with labelled parts, on lines
or separated by " | ":

    record my review
    held: 2026-12-01
    agreed: write up the drift runbook; shadow the on-call rota
    done: 1, 3            (earlier actions, by their # in the pack; or "all")
    apprentice: …  employer: …  provider: …

Unlabelled text is taken as agreed actions, which is what people type first.
A manager names the apprentice: "record review for Priya: agreed: …".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.coaching.reflection_words import parse_date
from bot.ui_text import ui

RECORD = re.compile(
    r"^\s*record\s+(?:(?:my|our|the|a|this)\s+)?(?:progress\s+)?review\b"
    r"(?:\s+for\s+(?P<name>[^:\n|]+?)\s*(?=[:\n|]|$))?\s*[:\-–]?(?P<body>.*)$", re.I | re.S)
_LABELS = {
    "agreed": "agreed", "agreed actions": "agreed", "actions": "agreed", "action": "agreed",
    "we agreed": "agreed", "next": "agreed",
    "done": "done", "completed": "done",
    "held": "held", "held on": "held", "date": "held", "on": "held",
    "apprentice": "apprentice", "my comment": "apprentice", "me": "apprentice",
    "employer": "employer", "manager": "employer", "line manager": "employer",
    "provider": "provider", "training provider": "provider", "tutor": "provider", "coach": "provider",
}
_LABEL = re.compile(r"(?:^|(?<=[\n|;]))\s*[-*•]?\s*(" + "|".join(sorted(map(re.escape, _LABELS), key=len,
                                                                       reverse=True)) + r")\s*:", re.I)
_ITEM_SPLIT = re.compile(r"\s*(?:;|\n\s*[-*•]?\s*)\s*")
_NUMBER = re.compile(r"#?(\d+)")
MAX_ACTIONS = 20
MAX_ACTION = 300
MAX_COMMENT = 2000


class BadReviewRecord(ValueError):
    """The message names a review but something in it can't be stored; the text says what."""


@dataclass(frozen=True)
class ReviewNotes:
    name: str = ""  # the apprentice a manager names; empty for one's own review
    held_on: date | None = None
    actions: tuple[str, ...] = ()
    done: tuple[int, ...] = ()
    all_done: bool = False
    comments: dict[str, str] = field(default_factory=dict)  # apprentice / employer / provider

    @property
    def empty(self) -> bool:
        return not (self.actions or self.done or self.all_done or self.comments)


def _parts(body: str) -> list[tuple[str, str]]:
    """(kind, text) pieces in order; text before the first label counts as agreed actions."""
    marks = list(_LABEL.finditer(body))
    pieces: list[tuple[str, str]] = []
    lead = body[:marks[0].start()] if marks else body
    if lead.strip(" \n|;"):
        pieces.append(("agreed", lead))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        pieces.append((_LABELS[mark.group(1).lower()], body[mark.end():end]))
    return [(kind, text.strip(" \n|;")) for kind, text in pieces]


def read_review(text: str, *, today: date) -> ReviewNotes | None:
    """None when the message doesn't ask to record a review; BadReviewRecord when it can't be read."""
    match = RECORD.match(text)
    if not match:
        return None
    actions: list[str] = []
    done: list[int] = []
    all_done = False
    held: date | None = None
    comments: dict[str, str] = {}
    for kind, value in _parts(match.group("body") or ""):
        if not value:
            continue
        if kind == "agreed":
            actions += [a.strip(" .") for a in _ITEM_SPLIT.split(value) if a.strip(" .")]
        elif kind == "done":
            all_done = all_done or value.strip(" .").lower() in ("all", "all of them", "everything")
            done += [int(n) for n in _NUMBER.findall(value)]
        elif kind == "held":
            held = parse_date(value.split("\n")[0].strip(" ."), today=today)
            if held is None:
                raise BadReviewRecord(ui("error_review_held", value=repr(value.strip())))
        else:
            comments[kind] = (comments.get(kind, "") + "\n" + value).strip()[:MAX_COMMENT]
    if len(actions) > MAX_ACTIONS:
        raise BadReviewRecord(ui("error_review_actions", count=len(actions), most=MAX_ACTIONS))
    return ReviewNotes(name=(match.group("name") or "").strip(" '\"“”‘’"), held_on=held,
                       actions=tuple(a[:MAX_ACTION] for a in actions), done=tuple(dict.fromkeys(done)),
                       all_done=all_done, comments=comments)
