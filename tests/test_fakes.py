"""The fakes are only useful if real client libraries accept them, so test through those."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import aiohttp
import openai
import pytest
from botbuilder.schema import Activity, Attachment, ErrorResponseException
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from langchain_openai import ChatOpenAI
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import (
    Delay,
    FakeBotConnector,
    FakeOpenAI,
    FakeSlackAPI,
    Garbage,
    RecordedCall,
    Status,
    fake_embedding,
    make_activity,
)

MESSAGES: list[Any] = [{"role": "system", "content": "You coach KSBs."},
                       {"role": "user", "content": "What is K1?"}]


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        result: dict[str, Any] = json.loads(resp.read())
    return result


def _slack(fake: FakeSlackAPI, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.url + "/api/", **kwargs)


# --- shared machinery -------------------------------------------------------

async def test_async_mode_records_and_stops() -> None:
    async with FakeOpenAI() as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            async with session.get(fake.url + "/v1/models?x=1",
                                   headers={"Authorization": "Bearer k"}) as resp:
                models = await resp.json()
        assert [m["id"] for m in models["data"]] == ["gpt-4o-mini", "text-embedding-3-small"]
        (call,) = await fake.wait_for(lambda calls: len(calls) == 1)
        assert (call.name, call.method, call.path) == ("models", "GET", "/v1/models")
        assert call.query == {"x": "1"} and call.bearer == "k"
        assert call.headers["authorization"] == "Bearer k"
        fake.clear()
        assert fake.calls == []
        assert abs(call.timestamp - time.time()) < 5
        with pytest.raises(TimeoutError):
            await fake.wait_for(lambda calls: len(calls) > 0, timeout=0.05)
    with pytest.raises(RuntimeError):
        _ = fake.url


def test_threaded_mode_serves_sync_code_and_subprocesses() -> None:
    with FakeOpenAI(default_reply="from a thread").threaded() as fake:
        client = openai.OpenAI(base_url=fake.url + "/v1", api_key="test", max_retries=0)
        with client:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert reply.choices[0].message.content == "from a thread"
        code = (f"import urllib.request; urllib.request.urlopen('{fake.url}/v1/models', "
                "timeout=5).read()")
        subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
        calls = fake.wait_for_sync(lambda calls: len(calls) == 2)
        assert [c.name for c in calls] == ["chat.completions", "models"]
        with pytest.raises(TimeoutError):
            fake.wait_for_sync(lambda calls: len(calls) > 2, timeout=0.05)
    with pytest.raises(RuntimeError):
        _ = fake.url


def test_calls_are_thread_safe_under_concurrent_clients() -> None:
    fake = FakeSlackAPI().start_in_thread()
    try:
        def hammer() -> None:
            for _ in range(20):
                _post_json(fake.url + "/api/chat.postMessage", {"channel": "C1", "text": "x"})

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        fake.wait_for_sync(lambda calls: len(calls) == 80, timeout=10)
        for t in threads:
            t.join()
        posted = fake.calls_to("chat.postMessage")
        assert len(posted) == 80 and all(c.params == {"channel": "C1", "text": "x"} for c in posted)
    finally:
        fake.stop_thread()


# --- OpenAI -----------------------------------------------------------------

async def test_openai_chat_completion_shape_and_prompt_recording() -> None:
    async with FakeOpenAI() as fake, openai.AsyncOpenAI(
        base_url=fake.url + "/v1", api_key="test", max_retries=0
    ) as client:
        fake.script("K1 is about knowledge.")
        first = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        second = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert first.choices[0].message.content == "K1 is about knowledge."
    assert first.choices[0].message.role == "assistant"
    assert first.choices[0].finish_reason == "stop"
    assert first.object == "chat.completion" and first.id.startswith("chatcmpl-")
    assert first.model == "gpt-4o-mini" and first.created > 1_700_000_000
    assert first.usage is not None and first.usage.total_tokens > 0
    assert second.choices[0].message.content == fake.default_reply and second.model == "gpt-4o"
    assert fake.requests[0]["messages"] == MESSAGES and fake.pending == 0


async def test_openai_stream_uses_sse_chunks() -> None:
    async with FakeOpenAI() as fake, openai.AsyncOpenAI(
        base_url=fake.url + "/v1", api_key="test", max_retries=0
    ) as client:
        fake.script("one two three four five six", "raw")
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        async with aiohttp.ClientSession() as session:
            async with session.post(fake.url + "/v1/chat/completions",
                                    json={"model": "m", "messages": [], "stream": True}) as resp:
                raw = await resp.text()
                content_type = resp.content_type
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert deltas[0].role == "assistant"
    assert "".join(d.content or "" for d in deltas) == "one two three four five six"
    assert len([d for d in deltas if d.content]) >= 3
    assert chunks[-1].usage is not None and chunks[0].object == "chat.completion.chunk"
    assert content_type == "text/event-stream"
    assert raw.startswith("data: {") and raw.endswith("data: [DONE]\n\n")


async def test_openai_errors_timeouts_and_garbage() -> None:
    async with FakeOpenAI() as fake, openai.AsyncOpenAI(
        base_url=fake.url + "/v1", api_key="test", max_retries=0, timeout=0.3
    ) as client:
        fake.script(Status(500), Status(429, {"error": {"message": "slow down",
                                                        "type": "rate_limit"}}),
                    Delay(5), Garbage(), Delay(0.01, "quick enough"))
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError, match="slow down"):
            await client.chat.completions.create(model="m", messages=MESSAGES)
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - started < 2
        with pytest.raises(ValueError):  # json.JSONDecodeError
            await client.chat.completions.create(model="m", messages=MESSAGES)
        ok = await client.chat.completions.create(model="m", messages=MESSAGES)
        assert ok.choices[0].message.content == "quick enough"
        assert len(fake.requests) == 5
        async with aiohttp.ClientSession() as session:
            async with session.post(fake.url + "/v1/chat/completions", data=b"{not json",
                                    headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 400 and "error" in await resp.json()
        assert fake.calls[-1].body == "{not json"


async def test_openai_embeddings_models_and_api_key() -> None:
    async with FakeOpenAI(api_key="right") as fake:
        async with openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="right",
                                      max_retries=0) as client:
            packed = await client.embeddings.create(model="e", input=["a", "b"])
            floats = await client.embeddings.create(model="e", input="a",
                                                    encoding_format="float")
            models = await client.models.list()
        async with openai.AsyncOpenAI(base_url=fake.url + "/v1", api_key="wrong",
                                      max_retries=0) as bad:
            with pytest.raises(openai.AuthenticationError):
                await bad.models.list()
    assert [d.index for d in packed.data] == [0, 1]
    assert packed.data[0].embedding == pytest.approx(fake_embedding("a"), abs=1e-6)
    assert floats.data[0].embedding == fake_embedding("a") != fake_embedding("b")
    assert len(floats.data[0].embedding) == 16
    assert {m.id for m in models.data} == set(fake.models)


async def test_langchain_chat_openai_invoke_stream_and_timeout() -> None:
    async with FakeOpenAI() as fake:
        llm = ChatOpenAI(model="gpt-4o-mini", base_url=fake.url + "/v1", api_key=SecretStr("test"),
                         timeout=0.3, max_retries=0)
        try:
            fake.script("invoked", "streamed in several words", Delay(5))
            message = await llm.ainvoke("What is K1?")
            pieces = [chunk.content async for chunk in llm.astream("And S2?")]
            with pytest.raises(openai.APITimeoutError):
                await llm.ainvoke("too slow")
        finally:
            await llm.root_async_client.close()
    assert message.content == "invoked"
    assert "".join(str(p) for p in pieces) == "streamed in several words"
    assert len([p for p in pieces if p]) >= 3
    assert fake.requests[1]["stream"] is True
    assert fake.requests[0]["messages"] == [{"role": "user", "content": "What is K1?"}]


# --- Slack ------------------------------------------------------------------

async def test_slack_messages_views_and_lookups() -> None:
    async with FakeSlackAPI() as fake:
        client = _slack(fake)
        first = await client.chat_postMessage(channel="C1", text="hi", thread_ts="1.2")
        second = await client.chat_postMessage(channel="C1", text="again")
        updated = await client.chat_update(channel="C1", ts=first["ts"], text="edited")
        eph = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
        hello = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
        view = await client.views_publish(user_id="U1", view={"type": "home", "blocks": hello})
        opened = await client.views_open(trigger_id="t", view={"type": "modal", "blocks": hello,
                                                               "title": {"type": "plain_text", "text": "T"}})
        with pytest.raises(SlackApiError, match="invalid_blocks"):  # as Slack: an invalid block is refused
            await client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "section"}])
        assert fake.refused and fake.refused[0][0] == "chat.postMessage"
        fake.refused.clear()
        dm = await client.conversations_open(users="U1")
        user = await client.users_info(user="U1")
        auth = await client.auth_test()
        for call in (client.assistant_threads_setStatus(channel_id="D1", thread_ts="1.2",
                                                        status="thinking"),
                     client.assistant_threads_setTitle(channel_id="D1", thread_ts="1.2",
                                                       title="K1"),
                     client.assistant_threads_setSuggestedPrompts(
                         channel_id="D1", prompts=[{"title": "a", "message": "b"}]),
                     client.reactions_add(channel="C1", timestamp=first["ts"], name="eyes"),
                     client.api_call("made.up")):
            assert (await call)["ok"] is True
    assert first["ts"] < second["ts"] and first["message"]["thread_ts"] == "1.2"
    assert first["ts"].startswith("1700000000.")
    assert updated["ts"] == first["ts"] and updated["message"]["text"] == "edited"
    assert eph["message_ts"] and view["view"]["id"].startswith("V")
    assert opened["view"]["type"] == "modal" and dm["channel"]["id"].startswith("D")
    assert user["user"]["tz"] == "Europe/London" and user["user"]["real_name"] == "Test User"
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T1")
    posted = fake.calls_to("chat.postMessage")
    assert [c.params["text"] for c in posted] == ["hi", "again", "x"]  # a refused call is still recorded
    assert posted[0].bearer == "xoxb-test"
    assert fake.calls_to("users.info")[0].params == {"user": "U1"}
    assert fake.calls_to("reactions.add")[0].params["name"] == "eyes"
    assert fake.calls_to("made.up")


async def test_slack_form_body_and_token_check() -> None:
    async with FakeSlackAPI(token="xoxb-test") as fake:
        async with aiohttp.ClientSession() as session:
            async with session.post(fake.url + "/api/chat.postMessage",
                                    data={"token": "xoxb-test", "channel": "C9"}) as resp:
                good = await resp.json()
        with pytest.raises(SlackApiError, match="invalid_auth"):
            await AsyncWebClient(token="nope", base_url=fake.url + "/api/").auth_test()
    assert good["ok"] and good["channel"] == "C9"
    assert fake.calls_to("chat.postMessage")[0].body == {"token": "xoxb-test", "channel": "C9"}


async def test_slack_file_upload_round_trip() -> None:
    async with FakeSlackAPI() as fake:
        result = await _slack(fake).files_upload_v2(channel="C1", content=b"portfolio",
                                                     filename="p.txt", title="Portfolio")
    assert fake.calls_to("files.getUploadURLExternal")[0].params["filename"] == "p.txt"
    assert fake.uploads[result["file"]["id"]] == b"portfolio"
    assert result["file"]["title"] == "Portfolio" and result["file"]["size"] == 9
    assert [c.name for c in fake.calls] == ["files.getUploadURLExternal", "upload",
                                            "files.completeUploadExternal"]


async def test_slack_rate_limit_and_failures() -> None:
    async with FakeSlackAPI() as fake:
        fake.rate_limit("chat.postMessage", times=1, retry_after=0)
        retrying = _slack(fake, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
        ok = await retrying.chat_postMessage(channel="C1", text="eventually")
        fake.rate_limit("chat.update", times=1, retry_after=7)
        with pytest.raises(SlackApiError) as limited:
            await _slack(fake).chat_update(channel="C1", ts="1.1", text="x")
        fake.fail("chat.postMessage", times=1)
        with pytest.raises(SlackApiError) as failed:
            await _slack(fake).chat_postMessage(channel="nope", text="x")
    assert ok["ok"] and len(fake.calls_to("chat.postMessage")) == 3
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response["error"] == "ratelimited"
    assert failed.value.response["error"] == "channel_not_found"


# --- Bot Framework connector ------------------------------------------------

async def test_bot_connector_with_connector_client() -> None:
    async with FakeBotConnector() as fake:
        async with ConnectorClient(MicrosoftAppCredentials("", ""), base_url=fake.url) as client:
            convs = client.conversations
            sent = await convs.send_to_conversation("conv1", Activity(type="message", text="a"))
            reply = await convs.reply_to_activity("a:conv;messageid=9", "act-1",
                                                  Activity(type="message", text="b"))
            await convs.update_activity("conv1", sent.id, Activity(type="message", text="a2"))
            created = await convs.create_conversation({"bot": {"id": "28:bot"},
                                                       "members": [{"id": "29:user1"}],
                                                       "tenantId": "tenant-1"})
            member = await convs.get_conversation_member("conv1", "29:user1")
            fake.rate_limit("send_to_conversation", retry_after=3)
            with pytest.raises(ErrorResponseException) as limited:
                await convs.send_to_conversation("conv1", Activity(type="message", text="c"))
            with pytest.raises(ErrorResponseException) as missing:
                await convs.get_conversation_member("conv1", "29:ghost")
            bad_card = Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                  content={"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlok"}]})
            with pytest.raises(ErrorResponseException) as refused:  # as Teams: a malformed card is a 400
                await convs.send_to_conversation("conv1", Activity(type="message", attachments=[bad_card]))
    assert sent.id != reply.id and created.id.startswith("a:conv")
    assert member.aad_object_id == "aad-1" and member.name == "Test User"
    assert [a.get("text") for a in fake.activities()] == ["a", "b", "c", None]  # refusals are recorded too
    assert [a["text"] for a in fake.activities("a:conv;messageid=9")] == ["b"]
    assert fake.updates()[0]["text"] == "a2"
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    assert missing.value.response.status_code == 404
    assert refused.value.response.status_code == 400 and len(fake.refused) == 1


async def test_make_activity_is_a_valid_teams_message() -> None:
    async with FakeBotConnector() as fake:
        raw = make_activity("hello", service_url=fake.url, value={"action": "rate"},
                            conversation_type="groupChat")
        async with aiohttp.ClientSession() as session:
            url = f"{fake.url}/v3/conversations/{raw['conversation']['id']}/activities/{raw['id']}"
            async with session.post(url, json={"type": "message", "text": "reply",
                                               "replyToId": raw["id"]}) as resp:
                assert resp.status == 201 and "id" in await resp.json()
        recorded: list[RecordedCall] = fake.calls_named("reply_to_activity")
    activity = Activity().deserialize(raw)
    assert (activity.channel_id, activity.text, activity.locale) == ("msteams", "hello", "en-GB")
    assert activity.from_property.aad_object_id == "aad-1"
    assert activity.recipient.id == "28:bot" and activity.service_url.startswith("http://127")
    assert activity.channel_data["tenant"]["id"] == "tenant-1"
    assert activity.conversation.is_group and activity.value == {"action": "rate"}
    assert raw["id"] != make_activity("x", service_url="u")["id"]
    assert recorded[0].body["replyToId"] == raw["id"]
