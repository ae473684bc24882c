"""Rendering without a server: escaping, Slack's size limits, button values, views, the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_LABEL,
    MAX_TEXT,
    MAX_VALUE,
    decode_value,
    encode_value,
    render_reply,
    render_single,
    resolve_buttons,
)
from bot.adapters.slack.escape import WORD_JOINER, escape, from_slack, to_mrkdwn
from bot.adapters.slack.views import home_view, reflection_modal, reflection_values
from bot.coach import starting_points
from bot.messages import Action, Citation, Form, Reply
from bot.names import ActionId
from knowledge.registry import StandardRegistry

MANIFEST = Path(__file__).resolve().parents[1] / "bot" / "adapters" / "slack" / "manifest.yaml"


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") in {"mrkdwn", "plain_text"}:
                found.append(element["text"])
    return found


def test_escape_neutralises_pings_mentions_and_links() -> None:
    hostile = "<!channel> <!here|here> <@U123> <https://evil.example|your payslip> @everyone & co"
    safe = escape(hostile)
    assert "<" not in safe and ">" not in safe
    assert safe.startswith("&lt;!channel&gt; &lt;!here|here&gt; &lt;@U123&gt; &lt;https://evil.example|")
    assert f"@{WORD_JOINER}everyone &amp; co" in safe
    assert to_mrkdwn("**S24** & <b>") == "*S24* &amp; &lt;b&gt;"


def test_inbound_slack_markup_becomes_plain_words() -> None:
    raw = "<@UBOT> what counts for <https://x.example/s24|S24> &amp; &lt;K12&gt;? cc <@U9|sam> <!here>"
    assert from_slack(raw, bot_user_id="UBOT") == "what counts for S24 (https://x.example/s24) & <K12>? cc @sam @here"


def test_long_replies_split_into_messages_within_every_limit() -> None:
    words = " ".join(f"word{i}" for i in range(6000))  # ~50k characters
    reply = Reply(text=words, intent="question",
                  citations=[Citation(id=f"K{i}", text="x" * 3500, duties=(1, 2)) for i in range(70)],
                  followups=[f"A follow-up question number {i} " * 5 for i in range(30)],
                  actions=[Action("Save this as a reflection", ActionId.REFLECT_SAVE, {"text": "y" * 5000})])
    messages = render_reply(reply, feedback_id="Ev1")
    assert len(messages) > 1
    shown = ""
    for message in messages:
        assert 0 < len(message.blocks) <= MAX_BLOCKS
        assert len(json.dumps(message.blocks)) < 40_000 and len(message.text) <= MAX_TEXT
        for text in texts(message.blocks):
            assert len(text) <= MAX_TEXT
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= MAX_LABEL and len(element["value"]) <= MAX_VALUE
        shown += " ".join(texts(message.blocks)) + " "
    assert all(f"word{i}" in shown for i in (0, 2999, 5999))  # split, never dropped
    assert any(b.get("type") == "actions" for b in messages[-1].blocks)  # buttons under the whole answer


def test_single_messages_are_trimmed_not_rejected() -> None:
    reply = Reply(text="p\n\n" * 10, citations=[Citation(id=f"S{i}", text="t") for i in range(80)],
                  followups=["Log a reflection"])
    message = render_single(reply)
    assert len(message.blocks) <= MAX_BLOCKS and "trimmed" in json.dumps(message.blocks)
    assert message.blocks[-1]["type"] == "actions"


def test_button_values_round_trip_and_compress() -> None:
    long_text = "I built a drift dashboard and wrote the runbook. " * 70  # ~3.4k characters
    value = encode_value(ActionId.REFLECT_SAVE, {"text": long_text})
    assert value is not None and len(value) <= MAX_VALUE
    assert decode_value(value) == (ActionId.REFLECT_SAVE, {"text": long_text})
    assert encode_value(ActionId.REFLECT_SAVE, {"text": "".join(chr(0x4E00 + i) for i in range(5000))}) is None


def test_a_tag_click_removes_only_that_ksbs_buttons() -> None:
    actions = [Action(f"{verb} {k}", kind, {"entry_id": 7, "ksb": k})
               for k in ("S24", "K12")
               for verb, kind in (("Confirm", ActionId.TAG_CONFIRM), ("Remove", ActionId.TAG_REMOVE))]
    blocks = render_single(Reply(text="Saved.", actions=actions)).blocks
    after = resolve_buttons(blocks, {"entry_id": 7, "ksb": "S24"}, "Confirmed S24.")
    labels = [e["text"]["text"] for b in after if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Confirm K12", "Remove K12"] and "Confirmed S24." in json.dumps(after)


def test_pairs_stay_in_one_row_and_rebuilt_rows_get_unique_block_ids() -> None:
    actions = [Action(f"{verb} {k}", kind, {"entry_id": 7, "ksb": k})
               for k in ("S24", "K12", "S10", "B4")
               for verb, kind in (("Confirm", ActionId.TAG_CONFIRM), ("Remove", ActionId.TAG_REMOVE))]
    blocks = render_single(Reply(text="Saved.", actions=actions, followups=["How am I doing?"])).blocks
    rows = [[e["text"]["text"].split()[-1] for e in b["elements"]] for b in blocks if b["type"] == "actions"]
    assert all(len(r) <= 5 for r in rows)
    for ksb in ("S24", "K12", "S10", "B4"):
        assert sum(ksb in r for r in rows) == 1  # its Confirm and Remove share one row
    unnamed = [{k: v for k, v in b.items() if k != "block_id"} for b in blocks]  # as our fake Slack returns them
    after = resolve_buttons(unnamed, {"entry_id": 7, "ksb": "S24"}, "Confirmed S24.")
    again = resolve_buttons(after, {"entry_id": 7, "ksb": "K12"}, "Confirmed K12.")
    for version in (after, again):
        ids = [b["block_id"] for b in version if "block_id" in b]
        assert len(ids) == len(set(ids))
    assert len([b for b in after if b["type"] == "actions"]) == 2


def test_reflection_modal_prefills_and_reads_back() -> None:
    standard = StandardRegistry(added_dir=Path("/nonexistent")).load("ST1398").standard
    view = reflection_modal(form=Form("reflection", {"text": "I ran a drift review", "ksbs": ["S24", "S99"]}),
                            standard=standard, metadata={"channel": "D1"})
    assert view["callback_id"] == "ksb:reflect" and json.loads(view["private_metadata"]) == {"channel": "D1"}
    ksbs = view["blocks"][3]["element"]
    assert [o["value"] for o in ksbs["initial_options"]] == ["S24"]
    assert all(len(g["options"]) <= 100 for g in ksbs["option_groups"])
    state = {"values": {"text": {"text": {"value": " did it "}}, "date": {"date": {"selected_date": "2026-01-05"}},
                        "hours": {"hours": {"value": "1.5"}},
                        "ksbs": {"ksbs": {"selected_options": [{"value": "S24"}]}}}}
    assert reflection_values({"state": state}) == {"text": "did it", "date": "2026-01-05", "hours": 1.5,
                                                   "ksbs": ["S24"]}


def test_home_view_stays_under_a_hundred_blocks() -> None:
    big = Reply(text="x\n\n" * 20, citations=[Citation(id=f"K{i}", text="t") for i in range(120)])
    view = home_view(title="KSB Coach", sections=[("Your progress", big), ("Prompts", big)], footer="hi")
    assert view["type"] == "home" and len(view["blocks"]) <= 100


def test_manifest_matches_what_the_app_listens_for() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/ksb", "/reflect", "/progress"}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.im", "app_mention", "app_home_opened", "assistant_thread_started"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "im:history", "assistant:write", "app_mentions:read"} <= scopes
    prompts = [p["title"] for p in manifest["features"]["assistant_view"]["suggested_prompts"]]
    assert tuple(prompts) == tuple(starting_points())
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")


def valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """Every block is a type slack_sdk's Block Kit models know, and passes their validation."""
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw
        parsed.validate_json()
        assert parsed.to_dict()["type"] == raw["type"]


def test_every_slack_payload_passes_slack_sdk_validation() -> None:
    standard = StandardRegistry(added_dir=Path("/nonexistent")).load("ST1398").standard
    cited = [Citation("S24", "Monitor models in production."), Citation("K5", "How data drift arises.")]
    tag_buttons = [Action(f"{verb} {k}", action, {"entry_id": 7, "ksb": k}, style="primary")
                   for k in ("S24", "K5", "B3") for verb, action in (("Confirm", ActionId.TAG_CONFIRM),
                                                                     ("Remove", ActionId.TAG_REMOVE))]
    replies = {
        "answer": Reply(text="**S24** asks you to monitor models.\n" * 40, citations=cited,
                        followups=["How could I evidence S24?", "What counts for K5?"], intent="question",
                        actions=[Action("Save this as a reflection", ActionId.REFLECT_SAVE, {"text": "x"})]),
        "reflection": Reply(text="Saved entry #7 (2.5 h). I suggest S24, K5 and B3.", citations=cited,
                            actions=tag_buttons, intent="reflect"),
        "nudge": Reply(text="Your apprentices this week: Priya 40%, Sam 12%.", intent="manager_nudge",
                       followups=["Show my team"]),
        "weekly prompt": Reply(text="What did you work on this week?", intent="weekly_prompt",
                               actions=[Action("Log a reflection", ActionId.REFLECT_OPEN, {}),
                                        Action("Skip this week", ActionId.PROMPT_SKIP, {})]),
    }
    for reply in replies.values():
        for message in render_reply(reply, feedback_id="Ev1"):
            valid_blocks(message.blocks)
        valid_blocks(render_single(reply).blocks)
        valid_blocks(resolve_buttons(render_single(reply).blocks, {"entry_id": 7, "ksb": "S24"}, "Confirmed S24"))
    modal = reflection_modal(form=Form(kind="reflection", prefill={"text": "x", "ksbs": ["S24"], "hours": 2}),
                             standard=standard, metadata={"channel": "D1"})
    valid_blocks(modal["blocks"])
    View(**modal).validate_json()
    home = home_view(title="KSB Coach", sections=[("Your evidence", replies["reflection"]),
                                                 ("Weekly reflection prompt", replies["weekly prompt"])],
                     footer="hi", picture="F0123")
    valid_blocks(home["blocks"])
    View(**home).validate_json()
