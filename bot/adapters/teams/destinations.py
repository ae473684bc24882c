"""Where the bot may send Teams traffic: service URLs and upload URLs, checked before any call.

An activity names the service URL the bot replies to, and a file-consent
answer names the URL the export is uploaded to. Both come from the request,
so both are checked: HTTPS to an allowed Bot Framework host for replies, and
HTTPS for uploads; plain HTTP to loopback only in the unauthenticated
development mode (the Emulator and loopback tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import Settings, is_loopback_host


@dataclass(frozen=True)
class Destinations:
    hosts: tuple[str, ...]
    allow_loopback: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Destinations:
        return cls(hosts=settings.service_url_hosts,
                   allow_loopback=settings.teams_dev_unauthenticated and not settings.microsoft_app_id)

    def service_url(self, url: str) -> bool:
        """True for HTTPS to a configured host (or, in development mode, anything on loopback)."""
        scheme, host = _split(url)
        if self._loopback(scheme, host):
            return True
        return scheme == "https" and any(_matches(host, pattern) for pattern in self.hosts)

    def upload_url(self, url: str) -> bool:
        """An export goes only over HTTPS (plain HTTP to loopback in development mode)."""
        scheme, host = _split(url)
        return self._loopback(scheme, host) or (scheme == "https" and bool(host))

    def _loopback(self, scheme: str, host: str) -> bool:
        return self.allow_loopback and scheme in {"http", "https"} and is_loopback_host(host)


def _split(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError:
        return "", ""


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern
