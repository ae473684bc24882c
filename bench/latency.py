"""Answer latency: `ksb-coach ask` as a fresh process, and in-process grounded answers."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time

from bench.eval_data import load_jsonl
from bench.stats import percentile
from bot.config import Settings
from bot.messages import Incoming, UserRef
from bot.wiring import make_coach

USER = UserRef(platform="console", workspace_id="local", user_id="bench")


def fresh_process(runs: int = 5) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "ask", "what counts for S24?"], env=env,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


async def in_process(count: int = 200) -> list[float]:
    coach = make_coach(Settings(openai_api_key="", openai_base_url=""))
    texts = [q["text"] for q in load_jsonl("dev_questions.jsonl")]
    await coach.handle(Incoming(user=USER, text="warm up"))
    times = []
    for n in range(count):
        start = time.perf_counter()
        await coach.handle(Incoming(user=USER, text=texts[n % len(texts)]))
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    print("== answer latency ==")
    fresh = fresh_process()
    print(f"ksb-coach ask, fresh process (index built): median {statistics.median(fresh):.2f} s, "
          f"max {max(fresh):.2f} s over {len(fresh)} runs")
    inproc = asyncio.run(in_process())
    print(f"in-process grounded answers: p50 {percentile(inproc, 0.5):.1f} ms, "
          f"p95 {percentile(inproc, 0.95):.1f} ms over {len(inproc)} questions")


if __name__ == "__main__":
    main()
