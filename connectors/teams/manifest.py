"""`tier0 teams manifest`: the Teams app package to upload (manifest.json + icons).

Teams installs a bot from a zip holding `manifest.json` and two icons: a 192x192
colour icon and a 32x32 white outline on transparency. The icons are drawn here
(a rounded square with a "0" ring), so the package needs no image files or library.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings

MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
)
ACCENT = (0x1D, 0x35, 0x57)  # the web UIs' header colour
Pixel = tuple[int, int, int, int]


def manifest(settings: Settings, name: str = "Tier0", version: str = "1.0.0") -> dict[str, Any]:
    host = urlsplit(settings.effective_public_url).hostname or "localhost"
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": settings.teams_app_id,
        "developer": {
            "name": name,
            "websiteUrl": settings.effective_public_url,
            "privacyUrl": f"{settings.effective_public_url}/kb/faq-data-privacy",
            "termsOfUseUrl": settings.effective_public_url,
        },
        "name": {"short": name[:30], "full": f"{name} support assistant"[:100]},
        "description": {
            "short": "Answers, guided fixes and tickets, right in Teams."[:80],
            "full": (
                "Ask how to install or fix something: the assistant answers from the "
                "knowledge base, walks you through guided fixes with buttons, and hands "
                "anything else to the support team as a ticket you can check on here."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": settings.teams_app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal", "team", "groupChat"],
                        "commands": [
                            {"title": "my tickets", "description": "Your open tickets"},
                            {"title": "talk to a human", "description": "Open a ticket"},
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def package(settings: Settings, name: str = "Tier0") -> bytes:
    """The zip Teams' "Upload a custom app" takes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(settings, name), indent=2))
        archive.writestr("color.png", png(192, _colour_icon))
        archive.writestr("outline.png", png(32, _outline_icon))
    return buffer.getvalue()


def _ring(x: float, y: float, size: int) -> bool:
    """A "0": an elliptic ring in the middle of the square."""
    cx, cy = size / 2, size / 2
    rx, ry = size * 0.22, size * 0.30
    distance = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    inner = ((x - cx) / (rx * 0.55)) ** 2 + ((y - cy) / (ry * 0.7)) ** 2
    return distance <= 1 and inner > 1


def _colour_icon(x: int, y: int, size: int) -> Pixel:
    return (255, 255, 255, 255) if _ring(x + 0.5, y + 0.5, size) else (*ACCENT, 255)


def _outline_icon(x: int, y: int, size: int) -> Pixel:
    return (255, 255, 255, 255) if _ring(x + 0.5, y + 0.5, size) else (0, 0, 0, 0)


def png(size: int, pixel: Callable[[int, int, int], Pixel]) -> bytes:
    """A square RGBA PNG drawn by `pixel(x, y, size)`."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
