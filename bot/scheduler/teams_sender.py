"""Proactive Teams messages: placeholder until the Teams adapter's sender lands."""

from __future__ import annotations

from bot.config import Settings
from bot.scheduler.senders import Sender


def make_teams_sender(settings: Settings) -> Sender | None:
    return None
