"""The weekly reflection prompt: one weak KSB, quoted, with a What? / So what? / Now what? nudge.

The KSB rotates: among the apprentice's weakest KSBs the prompt takes the one
after last week's (in the standard's order), so an apprentice with many gaps
sees a different one each week instead of the same top of the list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session

from bot.coaching.progress import THIN_EVIDENCE, elapsed_share, weakness
from bot.grounding import citations
from bot.messages import Action, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui
from knowledge.model import Ksb, Standard
from knowledge.registry import Knowledge
from storage.enrolments import default_enrolment
from storage.models import Enrolment
from storage.schedule import Recipient
from storage.schedule_data import enrolments_for, ksb_stats_for
from storage.tags import KsbStat

log = logging.getLogger(__name__)
MIN_POOL = 3


@dataclass(frozen=True)
class PromptPlan:
    """What one apprentice's prompt says, ready to send or preview."""

    person_id: int
    ksb_id: str
    reply: Reply


class Weak(Protocol):
    """What choosing needs to know about a weak KSB (`bot.coaching.progress.KsbProgress` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def weakness(self) -> float: ...

    @property
    def suggested(self) -> int: ...


@dataclass(frozen=True)
class WeakKsb:
    id: str
    weakness: float
    suggested: int


def weakest(standard: Standard, stats: dict[str, KsbStat], enrolment: Enrolment,
            today: date) -> list[WeakKsb]:
    """Thin KSBs weakest first, ordered exactly as `bot.coaching.progress` orders them.

    Built directly rather than through `compute_progress`, which would also
    group duties and targets: at ten thousand apprentices per tick that adds up.
    """
    elapsed = elapsed_share(enrolment, today)
    rows: list[tuple[float, int, int, str]] = []
    for order, ksb in enumerate(standard.ksbs):
        stat = stats.get(ksb.id)
        confirmed, suggested = (stat.confirmed, stat.suggested) if stat else (0, 0)
        if confirmed < THIN_EVIDENCE:
            rows.append((-weakness(confirmed=confirmed, elapsed=elapsed), suggested, order, ksb.id))
    rows.sort()
    return [WeakKsb(ksb_id, -negative, suggested) for negative, suggested, _, ksb_id in rows]


def choose_ksb(weak: Sequence[Weak], order: Sequence[str], last_ksb_id: str | None) -> str:
    """The next KSB after `last_ksb_id` (cyclically, standard order) among the weakest tier.

    `weak` is sorted weakest first. The tier is every KSB as weak as the
    weakest one, widened to at least MIN_POOL so a single gap still alternates.
    """
    if not weak:
        return order[(order.index(last_ksb_id) + 1) % len(order)] if last_ksb_id in order \
            else order[0]
    top = weak[0]
    tier = [k for k in weak if (k.weakness, k.suggested) == (top.weakness, top.suggested)]
    pool = tier if len(tier) >= MIN_POOL else list(weak[:MIN_POOL])
    if last_ksb_id is None:
        return pool[0].id
    position = {ksb_id: i for i, ksb_id in enumerate(order)}
    last = position.get(last_ksb_id, -1)
    ranked = sorted(pool, key=lambda k: position.get(k.id, 0))
    after = [k for k in ranked if position.get(k.id, 0) > last]
    return (after or ranked)[0].id


def _questions(kind: str) -> tuple[str, str, str]:
    lines = [line.strip() for line in ui(f"prompt_question_{kind.lower()}").splitlines()
             if line.strip()]
    return lines[0], lines[1], lines[2]


def weekly_prompt(*, knowledge: Knowledge, ksb: Ksb, name: str, week: str) -> Reply:
    """The prompt message itself: text, the quoted KSB as a citation, and three buttons."""
    what, so_what, now_what = _questions(ksb.kind)
    guide = knowledge.guidance.for_ksb(ksb.id)
    idea = "\n" + ui("prompt_idea", idea=guide.evidence[0]) + "\n" \
        if guide and guide.evidence else ""
    text = ui("prompt_weekly", name=name or ui("greeting_name"), ksb_id=ksb.id,
              kind_name=ksb.kind_name, ksb_text=ksb.text, what=what, so_what=so_what,
              now_what=now_what, idea=idea)
    payload = {"week": week, "ksb": ksb.id}
    actions = [
        Action(ui("followup_log"), ActionId.REFLECT_OPEN,
               {"text": "", "ksbs": [ksb.id], "prompt": ksb.id}, style="primary"),
        Action(ui("label_snooze_week"), ActionId.PROMPT_SNOOZE, payload),
        Action(ui("label_skip"), ActionId.PROMPT_SKIP, payload),
    ]
    return Reply(text=text, citations=citations(knowledge.standard, [ksb.id]), actions=actions,
                 intent=IntentName.WEEKLY_PROMPT, metadata={"kind": "prompt", "week": week,
                                                   "ksb": ksb.id})


def plan_prompts(session: Session, *, knowledge: Knowledge, recipients: Sequence[Recipient],
                 weeks: dict[int, str], today: date) -> dict[int, PromptPlan]:
    """Prompts for a batch of apprentices from two grouped reads (evidence, enrolments).

    Hours do not change which KSBs are weakest, so they are not read here.
    """
    ids = [r.person_id for r in recipients]
    stats = ksb_stats_for(session, person_ids=ids)
    enrolments = enrolments_for(session, person_ids=ids)
    standard = knowledge.standard
    order = [k.id for k in standard.ksbs]
    plans: dict[int, PromptPlan] = {}
    for recipient in recipients:
        pid = recipient.person_id
        try:
            plans[pid] = _plan(knowledge, recipient, stats[pid], enrolments.get(pid),
                               weeks[pid], order, today)
        except Exception:  # noqa: BLE001 - one person's bad data must not sink the batch
            log.exception("prompt for person %s could not be prepared", pid)
    return plans


def _plan(knowledge: Knowledge, recipient: Recipient, stats: dict[str, KsbStat],
          enrolment: Enrolment | None, week: str, order: Sequence[str], today: date) -> PromptPlan:
    standard = knowledge.standard
    enrolment = enrolment or default_enrolment(person_id=recipient.person_id,
                                               standard_ref=standard.reference, start=today)
    ksb_id = choose_ksb(weakest(standard, stats, enrolment, today), order, recipient.last_ksb_id)
    ksb = standard.ksb(ksb_id)
    assert ksb is not None
    reply = weekly_prompt(knowledge=knowledge, ksb=ksb, name=recipient.display_name, week=week)
    return PromptPlan(person_id=recipient.person_id, ksb_id=ksb_id, reply=reply)
