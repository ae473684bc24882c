"""Progress review packs in chat ("prepare my review", "review pack for NAME") and "my team"."""

from __future__ import annotations

from datetime import date

from bot.coaching.authz import Actor
from bot.coaching.manager_team import TeamMember
from bot.coaching.review_phrases import BadReviewRecord, ReviewNotes, read_review
from bot.documents.files import CHAT_DOCUMENT_FORMAT, export_metadata
from bot.documents.review_doc import BadPeriod, ReviewPack
from bot.handlers.common import Services
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui

TEAM_BUTTONS = 20


def _figures(pack: ReviewPack) -> dict[str, str]:
    last = pack.last_review
    return {"start": pack.period.start.isoformat(), "end": pack.period.end.isoformat(),
            "period_hours": f"{pack.hours_in_period:g}",
            "logged": f"{pack.progress.hours_logged:g}", "expected": f"{pack.expected_by_now:g}",
            "newly": str(len(pack.newly)), "without": str(len(pack.without)),
            "last": ui("review_reply_last", count=str(len(last.actions)),
                       held=last.held_on.isoformat()) if last and last.actions else ""}


def _team_line(m: TeamMember) -> str:
    return ui("team_line", name=m.name, covered=str(m.covered), total=str(m.total),
              coverage=f"{m.coverage:g}", hours=f"{m.hours_logged:g}",
              expected=f"{m.expected_by_now:g}",
              last=m.last_entry.isoformat() if m.last_entry else ui("team_no_entry"),
              review=m.next_review.isoformat())


def _recorded_text(notes: ReviewNotes, *, whose: str, held: date, start: date, done: list[int]) -> str:
    """What was stored, read back: the actions in full, so a typo is seen at once."""
    listed = (": " + "; ".join(notes.actions)) if notes.actions else ""
    done_line = ui("review_recorded_done", ids=", ".join(f"#{i}" for i in done)) if done else ""
    who = ", ".join(k for k in ("apprentice", "employer", "provider") if k in notes.comments)
    return ui("review_recorded", whose=whose, held=held.isoformat(), start=start.isoformat(),
              count=str(len(notes.actions)), listed=listed, done=done_line,
              comments=ui("review_recorded_comments", who=who) if who else "")


def _button(person_id: int, name: str) -> Action:
    return Action(ui("label_review_pack", name=name), ActionId.REVIEW_PACK_FOR,
                  {"apprentice_id": person_id})


class Reviews:
    """Review packs (one's own, a named apprentice's, a button's), a manager's team, and recording a review."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def _pack_reply(self, actor: Actor, person_id: int, today: date) -> Reply:
        try:
            pack, file = await self.s.reviews.pack_file(actor=actor, person_id=person_id,
                                                        fmt=CHAT_DOCUMENT_FORMAT, today=today)
        except BadPeriod as exc:
            return Reply(text=str(exc), intent=IntentName.REVIEW_PACK)
        text = ui("review_reply" if pack.private else "review_reply_manager", filename=file.filename,
                  name=pack.apprentice, **_figures(pack))
        redo = None if pack.private else {"action": ActionId.REVIEW_PACK_FOR.value,
                                          "payload": {"apprentice_id": person_id}}
        return Reply(text=text.strip(), intent=IntentName.REVIEW_PACK,
                     metadata={"export": export_metadata(file, redo=redo)})

    async def own_pack(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        return await self._pack_reply(actor, actor.id, self.s.today())

    async def pack_for_named(self, incoming: Incoming, intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        name = intent.text or str(incoming.payload.get("text", ""))
        matches = await self.s.sessions.run(self.s.team.find, actor=actor, name=name)
        if len(matches) == 1:
            return await self._pack_reply(actor, matches[0][0], self.s.today())
        if not matches:
            return Reply(text=ui("review_not_found", name=name), intent=IntentName.REVIEW_FOR)
        return Reply(text=ui("review_choose", name=name), intent=IntentName.REVIEW_FOR,
                     actions=[_button(pid, who) for pid, who in matches[:TEAM_BUTTONS]])

    async def pack_for_button(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        return await self._pack_reply(actor, int(incoming.payload.get("apprentice_id") or 0), self.s.today())

    async def my_team(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        today = self.s.today()
        members = await self.s.sessions.run(self.s.team.members, actor=actor, today=today)
        if not members:
            return Reply(text=ui("team_empty"), intent=IntentName.MY_TEAM)
        text = ui("team", count=str(len(members)), today=today.isoformat(),
                  lines="\n".join(_team_line(m) for m in members))
        return Reply(text=text, intent=IntentName.MY_TEAM,
                     actions=[_button(m.person_id, m.name) for m in members[:TEAM_BUTTONS]],
                     metadata={"team": [m.person_id for m in members]})

    async def _how_to_record(self, person_id: int) -> Reply:
        history = await self.s.sessions.run(self.s.reviews.history, person_id)
        still = [f"#{a.id} {a.text}" for a in history.actions if a.done_on is None]
        open_line = ui("review_record_open", held=history.last.held_on.isoformat(),
                       actions="; ".join(still)) if history.last and still else ""
        return Reply(text=ui("review_record_how", open=open_line), intent=IntentName.REVIEW_RECORD)

    async def record(self, incoming: Incoming, intent: Intent) -> Reply:
        """A review held, typed in chat: stored for the apprentice (or, by name, a manager's own)."""
        actor = await self.s.actor(incoming.user)
        today = self.s.today()
        try:
            notes = read_review(intent.text or incoming.text, today=today)
        except BadReviewRecord as exc:
            return Reply(text=ui("review_record_bad", reason=str(exc)), intent=IntentName.REVIEW_RECORD)
        if notes is None:
            return await self._how_to_record(actor.id)
        person_id, whose = actor.id, ui("review_whose_own")
        if notes.name:
            matches = await self.s.sessions.run(self.s.team.find, actor=actor, name=notes.name)
            if len(matches) != 1:
                text = ui("review_not_found", name=notes.name) if not matches else \
                    ui("review_choose", name=notes.name)
                return Reply(text=text, intent=IntentName.REVIEW_RECORD)
            person_id, whose = matches[0][0], ui("review_whose_named", name=matches[0][1])
        if notes.empty:
            return await self._how_to_record(person_id)
        before = await self.s.sessions.run(self.s.reviews.history, person_id)
        done = list(dict.fromkeys([*notes.done, *(a.id for a in before.actions if notes.all_done
                                                  and a.id is not None and a.done_on is None)]))
        try:
            review = await self.s.sessions.run(
                self.s.reviews.record, actor=actor, person_id=person_id, held_on=notes.held_on or today,
                today=today, actions=notes.actions, done=notes.done, all_done=notes.all_done,
                comments=notes.comments, event_key=incoming.event_id)
        except (BadPeriod, LookupError) as exc:
            return Reply(text=ui("review_record_bad", reason=str(exc)), intent=IntentName.REVIEW_RECORD)
        return Reply(text=_recorded_text(notes, whose=whose, held=review.held_on, start=review.period_start,
                                         done=done),
                     intent=IntentName.REVIEW_RECORD, metadata={"review_id": review.id})
