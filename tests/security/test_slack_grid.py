"""Enterprise Grid: one Slack person is one person, whatever team id each payload names."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlmodel import select

from storage.db import Database
from storage.models import Person
from tests.test_slack_interactive import REFLECTION
from tests.test_slack_support import USER, SlackHarness, message_event

pytest_plugins = ["tests.test_slack_support"]

ORG = "E0ORG"


async def test_an_enterprise_grid_user_is_one_person_across_payload_shapes(
        slack: SlackHarness, slack_database: Database) -> None:
    # a DM event names the workspace the channel lives in…
    body = json.dumps({"token": "legacy", "team_id": "T0CHANNEL", "enterprise_id": ORG, "api_app_id": "A1",
                       "type": "event_callback", "event_id": "EvGrid1", "event_time": int(time.time()),
                       "event": message_event("reflect: " + REFLECTION, team="T0CHANNEL")})
    assert (await slack.send(body, content_type="application/json"))[0] == 200
    # …a slash command another workspace of the org…
    form = {"token": "legacy", "team_id": "T0OTHER", "enterprise_id": ORG, "channel_id": "C1",
            "user_id": USER, "command": "/progress", "text": "", "api_app_id": "A1",
            "response_url": f"{slack.fake.url}/api/respond", "trigger_id": "trig-grid"}
    assert (await slack.send(urlencode(form), content_type="application/x-www-form-urlencoded"))[0] == 200
    # …and a click the user's home team, with the organisation beside it
    await slack.interact({"type": "block_actions", "team": {"id": "T0CHANNEL"}, "enterprise": {"id": ORG},
                          "user": {"id": USER, "team_id": "T0HOME"}, "channel": {"id": "D1"},
                          "container": {"type": "message", "channel_id": "D1", "is_ephemeral": True},
                          "response_url": f"{slack.fake.url}/api/respond",
                          "actions": [{"type": "button", "action_id": "ksb:0",
                                       "value": json.dumps({"a": "ask", "p": {"text": "How am I doing?"}})}]})
    await slack.settle()
    with slack_database.session() as session:
        found = session.exec(select(Person).where(Person.user_id == USER)).all()
    assert [(p.platform, p.workspace_id) for p in found] == [("slack", ORG)]
