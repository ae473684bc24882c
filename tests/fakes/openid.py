"""The Bot Framework's OpenID metadata and signing keys (JWKS), on 127.0.0.1.

`hang` makes both answer only after that many seconds (the impaired-outbound case);
`token` signs a Bot Framework-shaped JWT with the published key or any other.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.base import FakeServer

ISSUER = "https://api.botframework.com"


class FakeOpenId(FakeServer):
    def __init__(self, *, kid: str = "key-1", endorsements: tuple[str, ...] = ("msteams",),
                 hang: float = 0.0, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.kid = kid
        self.endorsements = endorsements
        self.hang = hang
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def metadata_url(self) -> str:
        return self.url + "/v1/.well-known/openidconfiguration"

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata, name="metadata")
        app.router.add_get("/v1/.well-known/keys", self._keys, name="keys")

    async def _metadata(self, _request: web.Request) -> web.Response:
        await self.pause(self.hang)
        return web.json_response({"issuer": ISSUER, "jwks_uri": self.url + "/v1/.well-known/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def _keys(self, _request: web.Request) -> web.Response:
        await self.pause(self.hang)
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=list(self.endorsements))
        return web.json_response({"keys": [jwk]})

    def token(self, *, app_id: str, service_url: str, kid: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": app_id, "serviceurl": service_url, "nbf": now - 60,
                  "exp": now + 3600}
        return jwt.encode(claims, self.private_key, algorithm="RS256",
                          headers={"kid": kid or self.kid})
