"""The Bot Framework connector service a bot replies to (an Activity's `serviceUrl`).

Incoming Activities built by `make_activity` point their serviceUrl here, so the
bot's outbound replies land in `fake.activities()` over real HTTP.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, parse_body
from tests.platform_schemas import activity_card_errors

BOT_ID = "28:bot"
BOT_NAME = "KSB Coach"
_activity_ids = itertools.count(1)


def make_activity(
    text: str,
    *,
    service_url: str,
    conversation_id: str = "conv1",
    user_id: str = "29:user1",
    aad_object_id: str = "aad-1",
    tenant_id: str = "tenant-1",
    conversation_type: str = "personal",
    value: Any = None,
    activity_type: str = "message",
) -> dict[str, Any]:
    """An incoming Teams Activity shaped like the real channel sends, ids included."""
    now = datetime.now(UTC)
    conversation: dict[str, Any] = {"id": conversation_id, "conversationType": conversation_type,
                                    "tenantId": tenant_id}
    channel_data: dict[str, Any] = {"tenant": {"id": tenant_id}}
    if conversation_type != "personal":
        conversation["isGroup"] = True
    if conversation_type == "channel":
        channel_data["team"] = {"id": "19:team@thread.tacv2"}
        channel_data["channel"] = {"id": conversation_id}
    activity: dict[str, Any] = {
        "type": activity_type,
        "id": f"{int(now.timestamp() * 1000)}{next(_activity_ids):04d}",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "localTimestamp": now.isoformat(),
        "localTimezone": "Europe/London",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": user_id, "name": "Test User", "aadObjectId": aad_object_id},
        "conversation": conversation,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "textFormat": "plain",
        "locale": "en-GB",
        "text": text,
        "entities": [{"type": "clientInfo", "locale": "en-GB", "country": "GB",
                      "platform": "Web", "timezone": "Europe/London"}],
        "channelData": channel_data,
    }
    if value is not None:
        activity["value"] = value
    if activity_type == "invoke":
        activity["name"] = "adaptiveCard/action"
    return activity


class FakeBotConnector(FakeServer):
    """Records outbound Activities; calls are named after ConnectorClient operations."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self._ids = itertools.count(1)
        self.members: dict[str, dict[str, Any]] = {}
        self.refused: list[list[str]] = []  # schema errors of cards Teams would refuse
        self.add_member("29:user1", name="Test User", aad_object_id="aad-1")

    # --- test controls --------------------------------------------------
    def add_member(self, member_id: str, *, name: str, aad_object_id: str,
                   email: str | None = None, tenant_id: str = "tenant-1") -> None:
        email = email or f"{name.lower().replace(' ', '.')}@example.com"
        with self._lock:
            self.members[member_id] = {
                "id": member_id, "name": name, "aadObjectId": aad_object_id,
                "givenName": name.split()[0], "surname": name.split()[-1], "email": email,
                "userPrincipalName": email, "tenantId": tenant_id, "userRole": "user",
            }

    def rate_limit(self, operation: str = "*", *, times: int = 1, retry_after: int = 1) -> None:
        body = {"error": {"code": "TooManyRequests", "message": "Too many requests"}}
        self.inject(operation, Fault(429, body, {"Retry-After": str(retry_after)}), times=times)

    def fail(self, operation: str = "*", *, status: int = 500, code: str = "ServiceError",
             times: int = 1) -> None:
        body = {"error": {"code": code, "message": f"fake {status}"}}
        self.inject(operation, Fault(status, body), times=times)

    def activities(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Bodies the bot sent (new messages and replies), oldest first."""
        return [
            c.body for c in self.calls
            if c.name in ("send_to_conversation", "reply_to_activity")
            and isinstance(c.body, dict)
            and (conversation_id is None or c.match_info.get("conversation_id") == conversation_id)
        ]

    def updates(self) -> list[dict[str, Any]]:
        return [c.body for c in self.calls_named("update_activity") if isinstance(c.body, dict)]

    # --- server -----------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        base = "/v3/conversations"
        one = base + "/{conversation_id}"
        app.router.add_post(base, self._create, name="create_conversation")
        app.router.add_post(one + "/activities", self._send, name="send_to_conversation")
        app.router.add_post(one + "/activities/{activity_id}", self._send,
                            name="reply_to_activity")
        app.router.add_put(one + "/activities/{activity_id}", self._update,
                           name="update_activity")
        app.router.add_delete(one + "/activities/{activity_id}", self._delete,
                              name="delete_activity")
        app.router.add_get(one + "/members", self._members, name="get_conversation_members")
        app.router.add_get(one + "/members/{member_id}", self._member,
                           name="get_conversation_member")

    def _new_id(self) -> str:
        return f"1:{next(self._ids):06d}"

    async def _create(self, request: web.Request) -> web.Response:
        await request.read()
        conv_id = f"a:conv{next(self._ids):06d}"
        return web.json_response({"id": conv_id, "activityId": self._new_id(),
                                  "serviceUrl": self.url}, status=201)

    async def _refusal(self, request: web.Request) -> web.Response | None:
        """A 400 for an activity whose Adaptive Card fails the 1.5 schema, as the service answers."""
        errors = activity_card_errors(parse_body(request.content_type, await request.read()))
        if not errors:
            return None
        with self._lock:
            self.refused.append(errors)
        return web.json_response({"error": {"code": "BadArgument", "message": "; ".join(errors)[:2000]}},
                                 status=400)

    async def _send(self, request: web.Request) -> web.Response:
        refusal = await self._refusal(request)
        return refusal or web.json_response({"id": self._new_id()}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        refusal = await self._refusal(request)
        if refusal:
            return refusal
        return web.json_response({"id": request.match_info["activity_id"]})

    async def _delete(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def _members(self, request: web.Request) -> web.Response:
        with self._lock:
            return web.json_response(list(self.members.values()))

    async def _member(self, request: web.Request) -> web.Response:
        with self._lock:
            member = self.members.get(request.match_info["member_id"])
        if member is None:
            error = {"code": "MemberNotFoundInConversation", "message": "Member not found"}
            return web.json_response({"error": error}, status=404)
        return web.json_response(member)
