"""The scheduler's scenarios: weekly prompts from N replicas stay exactly-once through a crash
mid-batch and through rate limiting that holds sends past their lease.

Each scenario starts its replicas with a short tick interval and the shortest
lease, seeds its apprentices once the replicas are ready (so every replica
finds them due at its next tick, as on a Friday afternoon), and counts what the
fake Slack API *accepted* per DM: one is delivered, two is a duplicate.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from bench.demo_data import DemoSpec, generate
from bench.scale.cluster import Cluster, Replica
from bench.scale.fake_slack import Accepted
from bench.scale.registry import Outcome, Size, scenario
from bot.config import Settings
from bot.scheduler.due import WEEKDAYS, Defaults, Schedule
from bot.wiring import load_knowledge
from storage.db import open_database
from tests.test_schedule_support import fake_channel

SEED_TIMEOUT = 120.0  # seconds for the first replica to start sending once people exist


def scheduler_env(size: Size, due: datetime) -> dict[str, str]:
    """Replica settings that make `due` (a UTC time a few minutes ago) everyone's prompt time."""
    return {"SCHEDULER": "true", "SCHEDULER_INTERVAL": str(size.interval), "SCHEDULER_LEASE": str(size.lease),
                "SCHEDULER_REVIEWS": "false", "DEFAULT_TIMEZONE": "UTC", "PROMPT_DAY": WEEKDAYS[due.weekday()],
                "PROMPT_TIME": due.strftime("%H:%M")}


def due_time() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)


def seed(cluster: Cluster, count: int, due: datetime) -> dict[str, str]:
    """`count` apprentices in UTC whose prompt is due now; returns {DM channel: user id}."""
    cluster.sql("TRUNCATE person CASCADE")
    defaults = Defaults(prompt=Schedule(due.weekday(), due.time()), timezone="UTC")
    with open_database(cluster.database_url) as database:
        made = generate(database.session, load_knowledge(Settings()),
                        DemoSpec(apprentices=count, managers=0, weeks=1, today=date.today()), defaults)
        ids = made.apprentice_ids
    cluster.sql("UPDATE person SET timezone = 'UTC'")
    users = [str(u) for (u,) in cluster.sql("SELECT user_id FROM person WHERE id = ANY(%(ids)s)",
                                            {"ids": ids})]
    return {fake_channel(cluster.slack, user): user for user in users}


def tally(accepted: list[Accepted], channels: dict[str, str]) -> tuple[int, int]:
    """(apprentices with at least one prompt, prompts beyond the first)."""
    per = Counter(a.channel for a in accepted if a.channel in channels)
    return len(per), sum(n - 1 for n in per.values())


def recorded(cluster: Cluster) -> int:
    rows = cluster.sql("SELECT count(*) FROM scheduled_send WHERE kind = 'prompt' AND sent_at IS NOT NULL")
    return int(rows[0][0]) if rows else 0


def record_gaps(cluster: Cluster, channels: dict[str, str]) -> list[float]:
    """Milliseconds from Slack accepting each prompt to the replica stamping its record: the only
    window in which a crash still sends a prompt twice (the commit that follows adds a little)."""
    first: dict[str, float] = {}
    for accepted in cluster.slack.accepted:
        first.setdefault(accepted.channel, accepted.at)
    stamped = {str(user): sent_at for user, sent_at in cluster.sql(
        "SELECT p.user_id, s.sent_at FROM scheduled_send s JOIN person p ON p.id = s.person_id "
        "WHERE s.kind = 'prompt' AND s.sent_at IS NOT NULL")}
    gaps = []
    for channel, user in channels.items():
        sent_at = stamped.get(user)
        if channel in first and isinstance(sent_at, datetime):
            gaps.append((sent_at.timestamp() - first[channel]) * 1000)
    return sorted(gaps)


def gap_line(gaps: list[float]) -> str:
    if not gaps:
        return "accept-to-record gap: no sends"
    return (f"accept-to-record gap (the crash window): median {statistics.median(gaps):.0f} ms, "
            f"95th percentile {gaps[int(len(gaps) * 0.95) - 1 if len(gaps) > 1 else 0]:.0f} ms, "
            f"max {gaps[-1]:.0f} ms over {len(gaps)} sends")


def _outcome(name: str, cluster: Cluster, channels: dict[str, str], lines: list[str],
             took: float) -> Outcome:
    delivered, duplicates = tally(cluster.slack.accepted, channels)
    total = len(channels)
    lines += [f"delivered: {delivered} of {total} apprentices",
              f"duplicates: {duplicates} of {total}",
              f"recorded as sent: {recorded(cluster)}",
              gap_line(record_gaps(cluster, channels)),
              f"took {took:.1f} s"]
    return Outcome(name, met=delivered == total and duplicates == 0, lines=lines,
                   counts={"delivered": delivered, "duplicates": duplicates, "total": total})


def all_recorded(cluster: Cluster, channels: dict[str, str], accepted: list[Accepted]) -> bool:
    """Every prompt Slack has accepted so far is recorded as sent."""
    users = {channels[a.channel] for a in accepted if a.channel in channels}
    rows = cluster.sql("SELECT count(*) FROM scheduled_send s JOIN person p ON p.id = s.person_id "
                       "WHERE s.kind = 'prompt' AND s.sent_at IS NOT NULL AND p.user_id = ANY(%(users)s)",
                       {"users": sorted(users)})
    return int(rows[0][0]) >= len(users)


def kill_one(cluster: Cluster, size: Size, *, on_the_wire: bool) -> Outcome:
    """Kill the first replica to have sent `kill_after` prompts: at a random moment of the next
    second, or (`on_the_wire`) while Slack holds every post it has in flight, unanswered."""
    name = "kill-while-sending" if on_the_wire else "kill-mid-batch"
    due = due_time()
    replicas = cluster.start_replicas(size.replicas, **scheduler_env(size, due))
    slack = cluster.slack
    slack.latency = 0.2  # slow enough that a replica is surely mid-batch when it dies
    kill_after = max(5, size.apprentices // 16)
    channels = seed(cluster, size.apprentices, due)
    started = time.monotonic()
    tokens = {r.token: r for r in replicas}

    def someone_busy(accepted: list[Accepted]) -> bool:
        return any(n >= kill_after for t, n in Counter(a.token for a in accepted).items() if t in tokens)

    if not slack.wait_until(someone_busy, SEED_TIMEOUT):
        raise RuntimeError("no replica started sending the seeded prompts")
    token, _ = max(slack.by_token().items(), key=lambda item: item[1] if item[0] in tokens else -1)
    victim: Replica = tokens[token]
    if on_the_wire:
        slack.frozen.add(token)
        deadline = time.monotonic() + 60
        while not all_recorded(cluster, channels, slack.accepted) and time.monotonic() < deadline:
            time.sleep(0.2)
        how = "while Slack held its posts in flight"
    else:  # a crash comes at any moment, not only as Slack answers
        time.sleep(random.uniform(0.0, 1.0))
        how = "at a random moment"
    before = slack.by_token()[token]
    victim.kill()
    killed_at = time.monotonic()
    slack.frozen.discard(token)
    sent_by_victim = slack.by_token()[token]
    slack.wait_until(lambda a: tally(a, channels)[0] >= len(channels), size.lease + 120.0)
    time.sleep(2 * size.interval + 2)  # any late second copy would arrive within two ticks
    lines = [f"{size.replicas} replicas, {size.apprentices} prompts due, lease {size.lease} s; "
             f"killed {victim.name} (SIGKILL) {how}, after it had {before} prompts accepted "
             f"({sent_by_victim} by the time it was dead)",
             f"the rest finished {time.monotonic() - killed_at:.1f} s after the kill"]
    return _outcome(name, cluster, channels, lines, time.monotonic() - started)


@scenario("kill-mid-batch", "a replica SIGKILLed at a random moment mid-batch: another finishes after the "
                            "lease; a duplicate only if it died between Slack accepting and the record")
def kill_mid_batch(cluster: Cluster, size: Size) -> Outcome:
    return kill_one(cluster, size, on_the_wire=False)


@scenario("kill-while-sending", "a replica SIGKILLed with its sends on the wire (Slack holding them): "
                                "everything it sent was recorded, nothing goes twice")
def kill_while_sending(cluster: Cluster, size: Size) -> Outcome:
    return kill_one(cluster, size, on_the_wire=True)


@scenario("throttle-past-lease", "429s whose Retry-After outlasts the lease: the held sends are not re-sent")
def throttle_past_lease(cluster: Cluster, size: Size) -> Outcome:
    due = due_time()
    cluster.start_replicas(size.replicas, **scheduler_env(size, due))
    slack = cluster.slack
    slack.latency = 0.02
    hold = size.lease + 15
    throttled = 16
    slack.throttle(times=throttled, retry_after=hold)
    channels = seed(cluster, size.apprentices, due)
    started = time.monotonic()
    slack.wait_until(lambda a: tally(a, channels)[0] >= len(channels), hold + size.lease + 120.0)
    # the held sends retry `hold` seconds after their 429: wait them out before counting
    time.sleep(max(0.0, started + hold + 2 * size.interval + 5 - time.monotonic()))
    lines = [f"{size.replicas} replicas, {size.apprentices} prompts due, lease {size.lease} s; "
             f"the first {throttled} posts answered 429 with Retry-After {hold} s"]
    return _outcome("throttle-past-lease", cluster, channels, lines, time.monotonic() - started)
