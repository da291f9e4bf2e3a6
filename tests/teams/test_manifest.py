"""`tier0 teams manifest`: a zip with a manifest naming the bot and two valid icons."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import replace
from io import BytesIO

from bot.settings import Settings
from connectors.teams.manifest import package


def _png_size(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    length = struct.unpack(">I", data[33:37])[0]
    pixels = zlib.decompress(data[41 : 41 + length])
    assert len(pixels) == height * (1 + width * 4) and depth == 8 and colour == 6
    return width, height, len(pixels)


def test_the_package_has_a_manifest_for_the_bot_and_both_icons() -> None:
    settings = replace(Settings(), teams_app_id="app-123", public_url="https://help.example.com")
    archive = zipfile.ZipFile(BytesIO(package(settings, "Helpy")))
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == manifest["bots"][0]["botId"] == "app-123"
    assert manifest["name"]["short"] == "Helpy" and manifest["validDomains"] == ["help.example.com"]
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert _png_size(archive.read("color.png"))[:2] == (192, 192)
    assert _png_size(archive.read("outline.png"))[:2] == (32, 32)
