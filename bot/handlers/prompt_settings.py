"""Chat handlers for prompt settings and the prompt's Snooze / Skip buttons.

They work the same from a typed message ("prompts friday 4pm"), a button, or
the Slack App Home, which asks for PROMPT_SETTINGS with empty text to draw the
current setting. Any message they don't read as a change shows the current
setting too (the agent's `prompt_settings` tool reads it so).
"""

from __future__ import annotations

from typing import Protocol

from bot.coaching.authz import Actor
from bot.handlers.setting_words import parse_change, tries_to_change
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from bot.scheduler.due import NUDGE, WEEKDAYS, Occurrence
from bot.scheduler.settings import PromptSettings, SettingsView
from bot.ui_text import ui
from storage import audit
from storage.db import SessionFactory


class People(Protocol):
    """Who is talking; `bot.coaching.directory.Directory` is one, `bot.handlers.common.Services` another."""

    sessions: SessionFactory

    async def actor(self, user: UserRef) -> Actor: ...


def when(occurrence: Occurrence | None) -> str:
    if occurrence is None:
        return ui("prompt_never")
    local = occurrence.local
    return ui("prompt_when", weekday=WEEKDAYS[local.weekday()].capitalize(), day=local.day, month=f"{local:%B}",
              time=f"{local:%H:%M}")


def _word(view: SettingsView) -> str:
    return "nudges" if view.kind == NUDGE else "prompts"


def describe(view: SettingsView) -> Reply:
    """The setting in words, with buttons to change it."""
    word = _word(view)
    what = ui("prompt_what_nudges") if view.kind == NUDGE else ui("prompt_what_prompts")
    schedule = view.schedule
    if schedule.enabled:
        state = ui("prompt_state_on", weekday=WEEKDAYS[schedule.weekday].capitalize(),
                   time=f"{schedule.at:%H:%M}", timezone=view.timezone, next=when(view.next))
    else:
        state = ui("prompt_state_off", word=word)
    switch = "off" if schedule.enabled else "on"
    presets = ((ui("label_prompt_fridays"), "friday 3pm"), (ui("label_prompt_mondays"), "monday 9am"))
    actions = [Action(ui("label_prompt_turn", word=word, switch=switch), IntentName.PROMPT_SETTINGS,
                      {"text": f"{word} {switch}"})]
    actions += [Action(label, IntentName.PROMPT_SETTINGS, {"text": f"{word} {text}"}) for label, text in presets]
    return Reply(text=ui("prompt_settings", what=what, state=state, word=word),
                 actions=actions, intent=IntentName.PROMPT_SETTINGS,
                 metadata={"enabled": schedule.enabled, "weekday": schedule.weekday,
                           "time": schedule.at.isoformat(timespec="minutes"),
                           "timezone": view.timezone})


class PromptSettingsHandlers:
    """Prompt or nudge settings in words (typed, a button, or the App Home's empty ask), Snooze and Skip."""

    def __init__(self, people: People, settings: PromptSettings) -> None:
        self.people = people
        self.settings = settings

    async def change(self, incoming: Incoming, intent: Intent) -> Reply:
        actor = await self.people.actor(incoming.user)
        text = intent.text or str(incoming.payload.get("text", ""))
        change = parse_change(text)
        if change is None:  # a question about the setting ("when does my prompt come?") or a change not understood
            shown = describe(await self.people.sessions.run(self.settings.view, actor.id))
            if tries_to_change(text):
                shown.text = ui("prompt_settings_unclear") + "\n\n" + shown.text
            return shown
        view = await self.people.sessions.run(self.settings.change, actor.id, change)
        return describe(view)

    async def snooze(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.people.actor(incoming.user)
        view, skipped = await self.people.sessions.run(self.settings.snooze, actor.id)
        if skipped is None:
            return describe(view)
        return Reply(text=ui("prompt_snoozed", skipped=when(skipped), next=when(view.next)),
                     intent=ActionId.PROMPT_SNOOZE)

    async def skip(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.people.actor(incoming.user)
        detail: dict[str, object] = {k: str(incoming.payload[k]) for k in ("week", "ksb")
                                     if k in incoming.payload}

        def record() -> SettingsView:
            with self.people.sessions() as session:
                audit.record(session, action="prompt.skipped", actor_id=actor.id,
                             subject_id=actor.id, detail=detail, event_key=incoming.event_id)
                session.commit()
            return self.settings.view(actor.id)

        view = await self.people.sessions.run(record)
        return Reply(text=ui("prompt_skipped", next=when(view.next)), intent=ActionId.PROMPT_SKIP)
