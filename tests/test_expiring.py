"""In-process memory that a long-running replica keeps is bounded and expires."""

from __future__ import annotations

from bot.expiring import ExpiringSet


def test_members_expire_and_the_set_stays_bounded() -> None:
    now = [0.0]
    seen = ExpiringSet(maxsize=3, ttl=60, timer=lambda: now[0])
    for thread in ("t1", "t2", "t3", "t4"):
        seen.add(thread)
    assert len(seen) == 3 and "t1" not in seen and "t4" in seen
    now[0] = 59.0
    assert "t4" in seen
    now[0] = 61.0
    assert "t4" not in seen and len(seen) == 0
    assert ["unhashable"] not in seen
