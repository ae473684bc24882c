"""`ksb-coach teams-package`: an uploadable zip (manifest with the bot id, two valid icons)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot.adapters.teams.package import MANIFEST_VERSION, package_bytes
from bot.cli import build_parser
from tests.conftest import make_settings

APP_ID = "6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"


def run(tmp_path: Path, *argv: str, **settings: object) -> int:
    args = build_parser(lambda: make_settings(tmp_path, **settings)).parse_args(list(argv))
    return int(args.func(args))


def test_the_package_holds_a_manifest_naming_the_bot_and_valid_icons(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dist" / "teams.zip"
    assert run(tmp_path, "teams-package", "--out", str(out), microsoft_app_id=APP_ID,
               microsoft_app_password="s3cret-Value-1", teams_app_website="https://coach.example.org") == 0
    assert str(out) in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert manifest["manifestVersion"] == MANIFEST_VERSION and f"v{MANIFEST_VERSION}/" in manifest["$schema"]
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert manifest["developer"]["privacyUrl"] == "https://coach.example.org/privacy"
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size, outline.mode) == ("PNG", (32, 32), "RGBA")
    raw = outline.tobytes()
    pixels = [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]
    assert {p[:3] for p in pixels if p[3]} == {(255, 255, 255)}  # white on transparent only
    assert any(p[3] == 0 for p in pixels)


def test_the_same_settings_make_the_same_bytes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_password="s3cret-Value-1")
    assert package_bytes(settings) == package_bytes(settings)


def test_without_a_bot_id_it_explains_instead_of_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "teams.zip"
    assert run(tmp_path, "teams-package", "--out", str(out)) == 2
    assert "MICROSOFT_APP_ID" in capsys.readouterr().err and not out.exists()
