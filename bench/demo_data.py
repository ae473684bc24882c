"""Synthetic people for demos, tests and benchmarks: apprentices, managers, weeks of tagged entries.

`python -m bench.demo_data --apprentices 20` fills the configured database
(DATABASE_URL / DATA_DIR), for a demo `ksb-coach schedule tick|preview`.

Generated in memory and written with bulk inserts (a few statements per
thousand rows), so 10,000 apprentices take seconds. People are spread across
time zones so a demo tick shows sends following the sun.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time as timer
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.config import Settings
from bot.scheduler.due import Defaults
from bot.scheduler.runtime import defaults_from
from bot.wiring import load_knowledge
from knowledge.registry import Knowledge
from storage.db import SessionFactory, open_database
from storage.models import (
    ConversationRef,
    Enrolment,
    Entry,
    EntryTag,
    ManagerLink,
    Person,
    PromptSetting,
)
from storage.schedule_data import bulk_insert

ZONES = (("Europe/London", 40), ("Europe/Dublin", 4), ("Europe/Paris", 5), ("Europe/Berlin", 5),
         ("America/New_York", 8), ("America/Chicago", 4), ("America/Los_Angeles", 5),
         ("America/Sao_Paulo", 3), ("Africa/Johannesburg", 3), ("Asia/Dubai", 3),
         ("Asia/Kolkata", 6), ("Asia/Singapore", 4), ("Asia/Tokyo", 3), ("Australia/Sydney", 4),
         ("Pacific/Auckland", 3))
FIRST = ("Aisha", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Harry", "Isla", "Jack", "Kofi",
         "Leah", "Mo", "Nina", "Owen", "Priya", "Quinn", "Ravi", "Sara", "Tom", "Uma", "Vik",
         "Wren", "Yusuf", "Zara")
LAST = ("Ahmed", "Brown", "Chen", "Davies", "Evans", "Fraser", "Gupta", "Hughes", "Ibrahim",
        "Jones", "Khan", "Lewis", "Murphy", "Nowak", "Okafor", "Patel", "Roberts", "Smith",
        "Taylor", "Walker", "Wilson", "Wright")
CATCH_UP = ("Catch-up log of my earlier off-the-job training: workshops, online courses and "
            "project work from before I started using KSB Coach.")
OPENERS = ("This week I", "Today I", "On Tuesday I", "Over the sprint I", "Yesterday I")


@dataclass(frozen=True)
class DemoSpec:
    apprentices: int
    managers: int
    platform: str = "slack"  # slack | teams
    weeks: int = 4
    today: date | None = None
    seed: int | None = None
    workspace_id: str = ""
    service_url: str = "https://smba.trafficmanager.net/uk/"


@dataclass(frozen=True)
class DemoResult:
    apprentice_ids: list[int]
    manager_ids: list[int]
    entries: int
    tags: int
    run: str


def _people(spec: DemoSpec, rng: random.Random, run: str, count: int, role: str,
            now: datetime) -> list[dict[str, Any]]:
    zones = [z for z, _ in ZONES]
    weights = [w for _, w in ZONES]
    workspace = spec.workspace_id or ("T1" if spec.platform == "slack" else "tenant-1")
    prefix = "U" if spec.platform == "slack" else "aad-"
    tag = "M" if role == "manager" else "A"
    return [{"platform": spec.platform, "workspace_id": workspace,
             "user_id": f"{prefix}{run.upper()}{tag}{i:06d}",
             "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
             "timezone": rng.choices(zones, weights)[0], "role": role, "created_at": now}
            for i in range(count)]


def _entry_text(knowledge: Knowledge, rng: random.Random, ksb_ids: Sequence[str]) -> str:
    parts = [rng.choice(OPENERS)]
    for ksb_id in ksb_ids:
        guide = knowledge.guidance.for_ksb(ksb_id)
        ksb = knowledge.standard.ksb(ksb_id)
        idea = rng.choice(guide.evidence) if guide and guide.evidence else (ksb.text if ksb else "")
        parts.append(f"worked on this: {idea.rstrip('.').lower()}.")
    parts.append("I learned where my approach fell short and what I will change next time.")
    return " ".join(parts)


def generate(sessions: SessionFactory, knowledge: Knowledge, spec: DemoSpec,
             defaults: Defaults | None = None) -> DemoResult:
    """Insert the synthetic population and return who was created."""
    rng = random.Random(spec.seed)
    run = secrets.token_hex(3) if spec.seed is None else f"{spec.seed:x}"
    defaults = defaults or Defaults()
    today = spec.today or date.today()
    now = datetime.combine(today, time(12), tzinfo=UTC)
    ksb_ids = [k.id for k in knowledge.standard.ksbs]
    with sessions() as session:
        apprentices = bulk_insert(session, Person, _people(spec, rng, run, spec.apprentices,
                                                           "apprentice", now))
        managers = bulk_insert(session, Person, _people(spec, rng, run, spec.managers,
                                                        "manager", now))
        if managers:
            bulk_insert(session, ManagerLink, [
                {"manager_id": managers[i % len(managers)], "apprentice_id": pid, "created_at": now}
                for i, pid in enumerate(apprentices)])
        enrolments = [_enrolment(rng, pid, knowledge, today, now) for pid in apprentices]
        bulk_insert(session, Enrolment, enrolments)
        settings = [_setting(pid, defaults.prompt.weekday, defaults.prompt.at, now)
                    for pid in apprentices]
        settings += [_setting(pid, defaults.nudge.weekday, defaults.nudge.at, now)
                     for pid in managers]
        bulk_insert(session, PromptSetting, settings)
        if spec.platform == "teams":
            bulk_insert(session, ConversationRef, [
                _reference(pid, spec, i, now) for i, pid in enumerate(apprentices + managers)])
        entries, chosen = _entries(knowledge, rng, apprentices,
                                   [e["start_date"] for e in enrolments], spec.weeks, today,
                                   ksb_ids)
        entry_ids = bulk_insert(session, Entry, entries)
        tags = [{"entry_id": eid, "ksb_id": ksb, "source": source, "confidence": conf,
                 "reason": "", "created_at": entry["created_at"],
                 "updated_at": entry["created_at"]}
                for eid, entry, picks in zip(entry_ids, entries, chosen, strict=True)
                for ksb, source, conf in picks]
        bulk_insert(session, EntryTag, tags)
        session.commit()
    return DemoResult(apprentices, managers, len(entries), len(tags), run)


def _enrolment(rng: random.Random, pid: int, knowledge: Knowledge, today: date,
               now: datetime) -> dict[str, Any]:
    start = today - timedelta(days=rng.randint(60, 540))
    return {"person_id": pid, "standard_ref": knowledge.standard.reference, "start_date": start,
            "planned_epa_date": start + timedelta(days=rng.choice((540, 600, 730))),
            "weekly_hours": rng.choice((30.0, 35.0, 37.5)), "otj_target_hours": None,
            "created_at": now, "updated_at": now}


def _setting(pid: int, weekday: int, at: time, now: datetime) -> dict[str, Any]:
    return {"person_id": pid, "weekday": weekday, "local_time": at, "enabled": True,
            "snoozed_until": None, "last_ksb_id": None, "updated_at": now}


def _reference(pid: int, spec: DemoSpec, i: int, now: datetime) -> dict[str, Any]:
    """A Bot Framework conversation reference, as the Teams adapter stores it on first contact."""
    tenant = spec.workspace_id or "tenant-1"
    reference = {"activityId": None, "bot": {"id": "28:bot", "name": "KSB Coach"},
                 "channelId": "msteams", "conversation": {"id": f"a:demo{i:07d}",
                                                          "conversationType": "personal",
                                                          "tenantId": tenant},
                 "serviceUrl": spec.service_url, "user": {"id": f"29:demo{i:07d}"}}
    return {"person_id": pid, "platform": "teams", "reference": reference, "installed": True,
            "updated_at": now}


def _entries(knowledge: Knowledge, rng: random.Random, apprentices: Sequence[int],
             starts: Sequence[date], weeks: int, today: date, ksb_ids: Sequence[str]
             ) -> tuple[list[dict[str, Any]], list[list[tuple[str, str, float | None]]]]:
    """A few entries a week per apprentice (some quiet), each tagged with one to three KSBs,
    after one catch-up entry for the earlier months, so hours and coverage look lived-in."""
    entries: list[dict[str, Any]] = []
    chosen: list[list[tuple[str, str, float | None]]] = []
    for pid, start in zip(apprentices, starts, strict=True):
        quiet_for = rng.choice((0, 0, 0, 0, 3, 21))  # some apprentices have gone quiet
        focus = rng.sample(ksb_ids, k=min(12, len(ksb_ids)))
        earlier = today - timedelta(days=weeks * 7 + 1)
        if start < earlier:  # one catch-up entry stands for the months before the recent log
            created = datetime.combine(earlier, time(17), tzinfo=UTC)
            hours = round(6 * (earlier - start).days / 7 * rng.uniform(0.6, 1.1), 1)
            picks = rng.sample(ksb_ids, k=rng.randint(4, 14))
            entries.append({"person_id": pid, "text": CATCH_UP, "work_date": earlier,
                            "otj_hours": hours, "tagging_status": "ok", "created_at": created,
                            "updated_at": created})
            chosen.append([(k, "confirmed", None) for k in picks])
        for day_back in range(weeks * 7):
            work_date = today - timedelta(days=day_back + 1)
            if day_back < quiet_for or rng.random() > 0.25:
                continue
            picks = rng.sample(focus, k=rng.randint(1, 3))
            created = datetime.combine(work_date, time(17), tzinfo=UTC)
            entries.append({"person_id": pid, "text": _entry_text(knowledge, rng, picks),
                            "work_date": work_date, "otj_hours": rng.choice((1.0, 1.5, 2.0, 3.0)),
                            "tagging_status": "ok", "created_at": created, "updated_at": created})
            chosen.append([(k, "confirmed" if rng.random() < 0.7 else "suggested",
                            round(rng.uniform(0.55, 0.9), 3)) for k in picks])
    return entries, chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demo_data",
                                     description="fill the database with synthetic apprentices")
    parser.add_argument("--apprentices", type=int, default=20)
    parser.add_argument("--managers", type=int, default=3)
    parser.add_argument("--platform", choices=("slack", "teams"), default="slack")
    parser.add_argument("--weeks", type=int, default=4, help="weeks of entries per apprentice")
    parser.add_argument("--seed", type=int, default=None, help="repeatable names and entries")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the entries lead up to (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    if args.apprentices < 0 or args.managers < 0 or args.weeks < 0:
        print("demo_data: counts must not be negative", file=sys.stderr)
        return 2
    settings = Settings()
    spec = DemoSpec(apprentices=args.apprentices, managers=args.managers,
                    platform=args.platform, weeks=args.weeks, today=args.today, seed=args.seed)
    started = timer.perf_counter()
    with open_database(settings.effective_database_url) as database:
        result = generate(database.session, load_knowledge(settings), spec, defaults_from(settings))
    took = timer.perf_counter() - started
    print(f"created {len(result.apprentice_ids)} apprentices, {len(result.manager_ids)} managers, "
          f"{result.entries} entries, {result.tags} tags on {args.platform} in {took:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
