"""An unsigned, malformed body is refused as unsigned (401), never parsed into a server error."""

from __future__ import annotations

from tests.test_slack_support import SlackHarness

pytest_plugins = ["tests.test_slack_support"]


async def test_an_unsigned_malformed_interaction_is_a_401_not_a_500(slack: SlackHarness) -> None:
    status, _ = await slack.send("payload=%7Bnot-json", content_type="application/x-www-form-urlencoded",
                                 sign=False)
    assert status == 401
    assert slack.fake.calls == []


async def test_an_unsigned_malformed_event_is_a_401_not_a_500(slack: SlackHarness) -> None:
    status, _ = await slack.send('{"type": "event_callback", "event": ', content_type="application/json",
                                 sign=False)
    assert status == 401
    assert slack.fake.calls == []
