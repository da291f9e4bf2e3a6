"""`tier0 teams manifest`: write the Teams app package (manifest.json and icons, zipped)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings


def add_teams_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    teams = commands.add_parser("teams", help="Microsoft Teams tools")
    teams_commands = teams.add_subparsers(
        dest="teams_command", required=True, metavar="TEAMS_COMMAND"
    )
    manifest = teams_commands.add_parser(
        "manifest", parents=[common], help="write the Teams app package (manifest.json + icons zip)"
    )
    manifest.add_argument(
        "--out", type=Path, default=Path("tier0-teams.zip"), help="default: tier0-teams.zip"
    )
    manifest.add_argument("--name", default="Tier0", help="the app's name in Teams")


def run_teams_command(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.teams.manifest import package

    if not settings.teams_app_id:
        print(
            "tier0: set TIER0_TEAMS_APP_ID (the Azure Bot's Microsoft App ID) first",
            file=sys.stderr,
        )
        return 2
    if not settings.public_url.startswith("https://"):
        print(
            "warning: TIER0_PUBLIC_URL is not https://; Teams reaches the bot only at a public "
            "https address (set the Azure Bot's messaging endpoint to <public URL>/api/messages)",
            file=sys.stderr,
        )
    try:
        args.out.write_bytes(package(settings, args.name))
    except OSError as error:
        print(f"tier0: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return 0
