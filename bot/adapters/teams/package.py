"""The Teams app package: manifest.json plus two icons, zipped, ready to upload to Teams.

The manifest follows the current schema (v1.22) and names the bot by
MICROSOFT_APP_ID, the same id `/api/messages` authenticates. Icons are drawn
here with Pillow (a white check on the accent colour, and a white outline on
transparency, as Teams requires), so the package needs no binary files in the
repository. Zip entries carry a fixed timestamp: the same settings always
produce byte-identical packages.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bot.config import Settings
from bot.ui_text import ui

MANIFEST_VERSION = "1.22"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = "#1F6F5C"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SCOPES = ["personal", "team", "groupChat"]
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def commands() -> list[tuple[str, str]]:
    """The command list Teams offers in the compose box: what to type, and what it does."""
    return [("ask", ui("teams_command_ask")), ("reflect", ui("teams_command_reflect")),
            ("progress", ui("teams_command_progress")), ("export my data", ui("teams_command_export")),
            ("delete my data", ui("teams_command_delete")), ("help", ui("teams_command_help"))]


class PackageError(ValueError):
    """The settings can't make an uploadable package (e.g. no bot id)."""


def manifest(settings: Settings, *, standard_title: str = "") -> dict[str, Any]:
    app_id = settings.microsoft_app_id
    if not _GUID.match(app_id):
        raise PackageError("MICROSOFT_APP_ID must be the bot's Azure app (client) id, a GUID like "
                           "00000000-0000-0000-0000-000000000000")
    site = settings.teams_app_website.rstrip("/")
    about = ui("teams_app_about", title=standard_title) if standard_title else ""
    name = settings.teams_app_name
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": settings.teams_app_version,
        "id": app_id,
        "developer": {"name": settings.teams_app_developer[:32], "websiteUrl": site,
                      "privacyUrl": f"{site}/privacy", "termsOfUseUrl": f"{site}/terms"},
        "name": {"short": settings.teams_app_name,
                 "full": ui("teams_app_full_name", name=name)[:100]},
        "description": {
            "short": ui("teams_app_short")[:80],
            "full": ui("teams_app_full", name=name, about=about)[:4000],
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id,
            "scopes": SCOPES,
            "supportsFiles": True,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": SCOPES, "commands": [{"title": t, "description": d} for t, d in commands()]}],
        }],
        "validDomains": [],
    }


def _check(draw: ImageDraw.ImageDraw, size: int, width: int) -> None:
    points = [(size * 0.26, size * 0.52), (size * 0.43, size * 0.69), (size * 0.75, size * 0.33)]
    draw.line(points, fill=(255, 255, 255, 255), width=width, joint="curve")
    for x, y in (points[0], points[-1]):
        r = width / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 255))


def color_icon() -> bytes:
    """192x192, full colour: a white check on the accent colour (Teams crops it to a rounded square)."""
    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), ACCENT)
    _check(ImageDraw.Draw(image), COLOR_SIZE, width=22)
    return _png(image)


def outline_icon() -> bytes:
    """32x32, white on transparent only, as Teams requires for the outline icon."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((1, 1, OUTLINE_SIZE - 2, OUTLINE_SIZE - 2), radius=6, outline=(255, 255, 255, 255),
                           width=2)
    _check(draw, OUTLINE_SIZE, width=3)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def package_bytes(settings: Settings, *, standard_title: str = "") -> bytes:
    files = {
        "manifest.json": json.dumps(manifest(settings, standard_title=standard_title), indent=2).encode("utf-8"),
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_package(settings: Settings, out: Path, *, standard_title: str = "") -> Path:
    """Write the zip to `out` (folders created) and return its path."""
    data = package_bytes(settings, standard_title=standard_title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
