"""Teams over loopback: activity-to-reply latency, 20 conversations at once, grounded composer.

The real server (`build_app` + the Teams mount, unauthenticated as with the
Emulator) runs on this process's loop; the fake Bot Framework connector runs on
its own thread; the load comes from a child process. Each conversation sends
its next question once the previous turn is over, as a person would. "Reply"
is the moment the fake connector receives the bot's answer (a reply to that
activity id); "turn" is the HTTP response to the activity, after the reply.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.child import run_in_child
from bench.stats import summary

CONVERSATIONS = 20
Result = tuple[str, float, float, int]  # (activity id, sent, turn over, status)


async def _conversation(session: aiohttp.ClientSession, url: str, service_url: str, n: int,
                        texts: list[str], run: str) -> list[Result]:
    from tests.fakes.bot_connector import make_activity

    results: list[Result] = []
    for i, text in enumerate(texts):
        activity = make_activity(text, service_url=service_url, conversation_id=f"a:{run}-conv{n}",
                                 user_id=f"29:user{n}", aad_object_id=f"aad-{run}-{n}")
        activity["id"] = f"{run}-{n}-{i}"
        sent = time.time()
        async with session.post(url, json=activity) as response:
            await response.read()
            results.append((activity["id"], sent, time.time(), response.status))
    return results


async def _fire(url: str, service_url: str, plans: list[list[str]], run: str) -> list[Result]:
    connector = aiohttp.TCPConnector(limit=len(plans))
    async with aiohttp.ClientSession(connector=connector) as session:
        done = await asyncio.gather(*(_conversation(session, url, service_url, n, texts, run)
                                      for n, texts in enumerate(plans)))
    return [r for results in done for r in results]


def fire(url: str, service_url: str, plans: list[list[str]], run: str) -> list[Result]:
    """One conversation per plan, all at once, from a separate process."""
    results: list[Result] = run_in_child(_fire, url, service_url, plans, run)
    return results


def percentiles(values: list[float]) -> str:
    return summary(values, tail="max", width=7)


def replies_at(fake: Any) -> dict[str, float]:
    """When the bot's answer (a message replying to each activity) reached the connector."""
    return {c.match_info["activity_id"]: c.timestamp for c in fake.calls_named("reply_to_activity")
            if isinstance(c.body, dict) and c.body.get("type") == "message"}


async def scenario(name: str, url: str, fake: Any, adapter: Any, plans: list[list[str]]) -> None:
    run = f"r{time.monotonic_ns()}"
    start = time.perf_counter()
    results = await asyncio.to_thread(fire, url, fake.url, plans, run)
    elapsed = time.perf_counter() - start
    await adapter.drain(timeout=120)
    replied = replies_at(fake)
    answers = [(replied[aid] - sent) * 1000 for aid, sent, _, _ in results if aid in replied]
    turns = [(over - sent) * 1000 for _, sent, over, status in results if status < 300]
    failed = sum(1 for r in results if r[3] >= 300)
    print(f"{name}: {len(results)} activities in {len(plans)} conversation(s), {len(results) / elapsed:.1f}/s, "
          f"{failed} failed, {len(results) - len(answers)} without a reply")
    print(f"  activity -> reply: {percentiles(answers)}")
    print(f"  turn (HTTP):       {percentiles(turns)}")


async def run_bench(data_dir: Path) -> None:
    from bench.eval_data import load_jsonl
    from bench.loopback import serving
    from bot.adapters.teams.app import ADAPTER_KEY, MESSAGES_PATH, mount
    from tests.fakes import FakeBotConnector

    fake = FakeBotConnector().start_in_thread()
    async with serving(data_dir, mount=mount, adapter_key=ADAPTER_KEY, path=MESSAGES_PATH, fake=fake,
                       teams_dev_unauthenticated=True) as served:
        url, adapter, retriever = served.url, served.adapter, served.retriever
        lookups = [f"what counts for {k.id}?" for k in retriever.standard.ksbs]
        free_text = [q["text"] for q in load_jsonl("dev_questions.jsonl")]
        mixed = [lookups[i % len(lookups)] if i % 2 else free_text[i % len(free_text)] for i in range(400)]
        print("== teams: loopback, CloudAdapter (unauthenticated), fake connector, grounded composer ==")
        await scenario("warm-up", url, fake, adapter, [mixed[:6]])
        await scenario("one conversation, one at a time", url, fake, adapter, [mixed[:40]])
        per = 10
        plans = [mixed[n * per:(n + 1) * per] for n in range(CONVERSATIONS)]
        await scenario(f"{CONVERSATIONS} concurrent conversations", url, fake, adapter, plans)
        lookup_plans = [[lookups[(n * per + i) % len(lookups)] for i in range(per)] for n in range(CONVERSATIONS)]
        await scenario(f"{CONVERSATIONS} concurrent conversations, KSB-id questions", url, fake, adapter,
                       lookup_plans)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ksb-teams-bench-") as tmp:
        asyncio.run(run_bench(Path(tmp)))


if __name__ == "__main__":
    main()
