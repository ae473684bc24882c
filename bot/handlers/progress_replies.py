"""Progress and portfolio replies, and the progress text the CLI prints too."""

from __future__ import annotations

from bot.claims import progress_figures
from bot.coaching.evidence import EvidenceAdvice, short_quote, suggest_evidence
from bot.coaching.otj import rule_in_words
from bot.coaching.progress import DutyProgress, KsbProgress, Progress
from bot.documents.files import CHAT_DOCUMENT_FORMAT, export_metadata
from bot.handlers.common import Services
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import IntentName
from bot.ui_text import ui

EVIDENCE_WINDOW = 100  # the most recent entries are searched for links to weak KSBs


def _duty_line(duty: DutyProgress) -> str:
    gaps = [k.id for k in duty.ksbs if k.confirmed == 0]
    covered = len(duty.ksbs) - len(gaps)
    gap_text = " " + ui("progress_duty_gaps", ids=", ".join(gaps)) if gaps else ""
    if duty.number == 0:
        return ui("progress_other_duty", covered=str(covered), total=str(len(duty.ksbs)),
                  gaps=gap_text)
    return ui("progress_duty_line", number=str(duty.number), covered=str(covered),
              total=str(len(duty.ksbs)), gaps=gap_text)


def _weak_line(k: KsbProgress) -> str:
    last = ui("progress_weak_last", date=k.last_evidenced.isoformat()) \
        if k.last_evidenced else ""
    return ui("progress_weak_line", id=k.id, confirmed=str(k.confirmed),
              suggested=str(k.suggested), last=last, text=short_quote(k.text, 90))


def _some(ids: tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(ids[:limit])
    if len(ids) <= limit:
        return shown
    return f"{shown}, {ui('progress_more', count=str(len(ids) - limit))}"


def _readiness(p: Progress) -> str:
    r = p.readiness
    if r.ready:
        return ui("progress_ready")
    missing = []
    if r.missing_ksbs:
        missing.append(ui("progress_missing_ksbs", count=str(len(r.missing_ksbs)),
                          ids=_some(r.missing_ksbs)))
    if r.hours_short:
        missing.append(ui("progress_missing_hours", hours=f"{r.hours_short:g}"))
    return ui("progress_not_ready", missing="; ".join(missing))


def progress_text(p: Progress, advice: EvidenceAdvice | None) -> str:
    return ui(
        "progress", reference=p.standard_ref, covered=str(p.covered), total=str(p.total),
        coverage=f"{p.coverage:g}", entries=str(p.entries), hours_logged=f"{p.hours_logged:g}",
        hours_target=f"{p.otj.hours:g}", otj_rule=rule_in_words(p.otj),
        duties="\n".join(_duty_line(d) for d in p.duties),
        weakest="\n".join(_weak_line(k) for k in p.weakest) or ui("progress_none_weak"),
        ideas=advice.text if advice and advice.text else ui("progress_none_weak"),
        readiness=_readiness(p))


async def progress_reply(s: Services, incoming: Incoming) -> tuple[Progress, EvidenceAdvice, str]:
    actor = await s.actor(incoming.user)
    progress = await s.progress.for_person_async(actor=actor, apprentice_id=actor.id,
                                                 today=s.today())
    views = await s.sessions.run(s.reflections.entries, actor=actor, person_id=actor.id,
                                 limit=EVIDENCE_WINDOW)
    advice = await suggest_evidence(knowledge=s.knowledge, weak_ids=[k.id for k in progress.weakest],
                                    entries=views, composer=s.composer, scorer=s.scorer,
                                    timeout=s.evidence_timeout, figures=progress_figures(progress))
    return progress, advice, progress_text(progress, advice)


class ProgressReplies:
    """How am I doing (with evidence ideas), and the portfolio as a file."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def progress(self, incoming: Incoming, _intent: Intent) -> Reply:
        p, advice, text = await progress_reply(self.s, incoming)
        return Reply(text=text, citations=self.s.citations([k.id for k in p.weakest]),
                     intent=IntentName.PROGRESS,
                     metadata={"coverage": p.coverage, "hours_logged": p.hours_logged,
                               "hours_target": p.otj.hours, "weakest": [k.id for k in p.weakest],
                               "gateway_ready": p.readiness.ready, "evidence": advice.source})

    async def portfolio(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        doc, file = await self.s.sessions.run(self.s.portfolio.export, actor=actor, person_id=actor.id,
                                              fmt=CHAT_DOCUMENT_FORMAT, today=self.s.today())
        pr = doc.progress
        text = ui("portfolio_reply", filename=file.filename, entries=str(len(doc.entries)),
                  covered=str(pr.covered), total=str(pr.total), coverage=f"{pr.coverage:g}",
                  hours_logged=f"{pr.hours_logged:g}")
        return Reply(text=text, intent=IntentName.PORTFOLIO, metadata={"export": export_metadata(file)})
