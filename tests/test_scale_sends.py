"""The scale harness's send scenarios at a small scale: real `serve` replicas, PostgreSQL, Chroma server.

Three replicas send 60 weekly prompts; one is SIGKILLed mid-batch and the
others finish after the lease; then the fake Slack API holds 16 sends with a
Retry-After longer than the lease. Every apprentice must get their prompt
exactly once. About three minutes, most of it the lease running out.
"""

from __future__ import annotations

import os

import pytest

from bench.scale.__main__ import load, run
from bench.scale.registry import Size


@pytest.mark.slow
@pytest.mark.postgres
def test_replicas_send_each_prompt_once_through_a_crash_and_a_throttle(postgres_problem: str) -> None:
    if postgres_problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable: {postgres_problem}")
        pytest.skip(f"PostgreSQL unreachable: {postgres_problem}")
    load()
    outcomes = {o.name: o for o in run(["kill-while-sending", "throttle-past-lease"], Size(apprentices=60))}
    for name, outcome in outcomes.items():
        assert outcome.counts.get("total") == 60, (name, outcome.lines)
        assert outcome.counts["delivered"] == 60, (name, outcome.lines)
        assert outcome.counts["duplicates"] == 0, (name, outcome.lines)
