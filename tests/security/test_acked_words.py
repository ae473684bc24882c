"""Acked words are durable: kill -9 during a burst lost 4 of 12 acked reflections (Slack never resends
an acked event). A real `ksb-coach serve` on SQLite is killed while answering a burst of 12; started
again, it saves each acked reflection once and answers it (tests/test_inbox_crash.py has the helpers,
the PostgreSQL run and SIGTERM with a backlog)."""

from __future__ import annotations

import pytest

from tests.test_inbox_crash import env, kill_mid_burst  # noqa: F401 - fixture


@pytest.mark.slow
def test_kill_9_during_a_burst_of_12_loses_no_acked_reflection(env: dict[str, str]) -> None:  # noqa: F811
    kill_mid_burst(env, 12)
