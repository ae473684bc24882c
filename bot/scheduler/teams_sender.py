"""Teams for the scheduler: the Teams adapter's own `TeamsSender`, fitted to the sender port.

The adapter's sender does the work (stored 1:1 references, Adaptive Cards, an
inline PNG, Retry-After on 429, retiring references on 403/404); this only
adds what the port asks of every sender and shares the scheduler's database.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.teams_sender import TeamsSender
from bot.config import Settings
from bot.messages import Reply
from bot.scheduler.senders import Address, Picture, Sleep
from storage.db import Database


class TeamsPort:
    def __init__(self, sender: TeamsSender) -> None:
        self._sender = sender

    def handles(self, platform: str) -> bool:
        return self._sender.handles(platform)

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None) -> bool:
        return await self._sender.send(to=to, reply=reply, picture=picture)

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        return {}  # Teams references come from the adapter's conversations, never from sending

    async def close(self) -> None:
        await self._sender.close()


def make_teams_sender(settings: Settings, *, database: Database | None = None,
                      sleep: Sleep = asyncio.sleep) -> TeamsPort:
    """Teams is always mounted (the Emulator needs no app id), so its sender always exists;
    it reaches only people whose 1:1 chat reference the adapter has stored."""
    return TeamsPort(TeamsSender(settings=settings, database=database, sleep=sleep))
