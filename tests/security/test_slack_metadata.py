"""A modal's private_metadata is signed and bound to its person: a forged one steers nothing."""

from __future__ import annotations

import json
from datetime import date

from bot.adapters.slack.views import seal, unseal
from tests.test_slack_interactive import REFLECTION, submission
from tests.test_slack_support import SlackHarness

pytest_plugins = ["tests.test_slack_support"]


async def test_a_forged_private_metadata_cannot_send_a_reflection_into_a_channel(slack: SlackHarness) -> None:
    await slack.command("/reflect", channel="C1")
    await slack.settle()
    view = slack.posted("views.open")[0]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    forged = {**view, "private_metadata": json.dumps({"channel": "CPUBLIC", "thread_ts": "1.2"})}
    await slack.interact(submission(forged, text=REFLECTION, day=date.today(), hours="1", ksbs=[]))
    await slack.settle()
    channels = {m["channel"] for m in slack.posted()}
    assert channels and "CPUBLIC" not in channels
    assert all(c.startswith("D") for c in channels)  # the person's own DM


def test_sealed_metadata_is_read_back_only_for_its_person_and_unchanged() -> None:
    key = b"k" * 32
    sealed = seal({"channel": "D1", "thread_ts": "1.2"}, owner="slack:U1", key=key)
    assert unseal(sealed, owner="slack:U1", key=key) == {"channel": "D1", "thread_ts": "1.2"}
    assert unseal(sealed, owner="slack:U2", key=key) == {}
    assert unseal(sealed, owner="slack:U1", key=b"x" * 32) == {}
    edited = json.loads(sealed)
    edited["where"]["channel"] = "CPUBLIC"
    assert unseal(json.dumps(edited), owner="slack:U1", key=key) == {}
    assert unseal("not json", owner="slack:U1", key=key) == {}
