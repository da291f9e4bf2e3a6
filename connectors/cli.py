"""The `tier0` command: serve, chat, index, train, nlu, kb, user, slack, teams, db upgrade.

Every command takes --data-dir, --kb and --config; they override tier0.toml and
TIER0_* variables. Errors the user can fix print one line and exit 2; nothing
prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("tier0")
Command = Callable[[argparse.Namespace, Settings], int]


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="state directory (default ./var)")
    common.add_argument("--kb", type=Path, dest="kb_dir", help="knowledge base directory")
    common.add_argument("--config", type=Path, help="TOML configuration file")
    return common


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tier0")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tier0", description="Tier0 support assistant")
    parser.add_argument("--version", action="version", version=f"tier0 {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common_options()

    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API and pages")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--threads", type=int)
    serve.add_argument("--debug", action="store_true", help="Flask's reloading debug server")
    serve.add_argument(
        "--slack-socket-mode",
        action="store_true",
        help="also take Slack's events over Socket Mode (needs TIER0_SLACK_APP_TOKEN)",
    )

    chat = commands.add_parser("chat", parents=[common], help="talk to the bot in the terminal")
    chat.add_argument("--user", default="local", help="user id for tickets (default: local)")
    chat.add_argument("--conversation", help="resume this conversation id")
    chat.add_argument("--json", action="store_true", help="JSON lines in and out, for scripts")

    index = commands.add_parser("index", parents=[common], help="build the search index")
    index.add_argument("--rebuild", action="store_true", help="rebuild even if up to date")

    train = commands.add_parser("train", parents=[common], help="train the NLU model")
    train.add_argument("--nlu-data", type=Path, help="Rasa NLU YAML file or directory")

    from connectors.kb_cli import add_kb_commands
    from connectors.nlu_cli import add_nlu_commands
    from connectors.teams_cli import add_teams_commands
    from connectors.user_cli import add_user_commands

    add_kb_commands(commands, common)
    add_user_commands(commands, common)

    add_nlu_commands(commands, common)

    slack = commands.add_parser("slack", help="Slack tools")
    slack_commands = slack.add_subparsers(dest="slack_command", required=True, metavar="SLACK")
    manifest = slack_commands.add_parser(
        "manifest", parents=[common], help="print the Slack app manifest (YAML)"
    )
    manifest.add_argument("--name", default="Tier0", help="the app's name in Slack")
    manifest.add_argument("--socket-mode", action="store_true", help="for Socket Mode")
    manifest.add_argument("--json", action="store_true", help="JSON instead of YAML")

    add_teams_commands(commands, common)

    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", parents=[common], help="apply database migrations")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in ("data_dir", "kb_dir", "host", "port", "threads", "nlu_data")
    }
    return load_settings(config_file=args.config, overrides=overrides)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.web import create_app

    if args.slack_socket_mode:
        from connectors.slack.socket_mode import check_socket_mode

        check_socket_mode(settings)  # before the slow start, not after it
    app = create_app(settings)
    if args.slack_socket_mode:
        from connectors.slack.socket_mode import connect_socket_mode

        connect_socket_mode(app.extensions["tier0.slack"], settings)
        log.info("Slack Socket Mode connected")
    url = settings.effective_public_url
    if not settings.api_token and settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without TIER0_API_TOKEN: ticket reads are open", settings.host)
    if args.debug:
        app.run(host=settings.host, port=settings.port, debug=True)
        return 0
    import waitress

    try:  # bind first, so "serving on" is only ever printed when it is true
        server = waitress.create_server(
            app, host=settings.host, port=settings.port, threads=settings.threads
        )
    except OSError as error:
        raise OSError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror or error} "
            "(is another server using that port? choose one with --port or TIER0_PORT)"
        ) from None
    log.info("Tier0 serving on http://%s:%d (public URL %s)", settings.host, settings.port, url)
    server.run()
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_assistant
    from connectors.helpdesks import build_ticket_system
    from connectors.terminal import run_chat

    assistant = build_assistant(settings, ticket_system=build_ticket_system(settings))
    try:
        run_chat(
            assistant.engine,
            input,
            sys.stdout,
            user=args.user,
            conversation_id=args.conversation,
            json_lines=args.json,
        )
    finally:
        assistant.close()
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import check_paths, ensure_index

    check_paths(settings)
    report = ensure_index(settings, force=args.rebuild)
    for problem in report.errors:
        print(f"skipped {problem}", file=sys.stderr)
    state = f"built in {report.seconds:.2f}s" if report.rebuilt else "already up to date"
    print(f"{report.articles} articles indexed in {settings.index_dir} ({state})")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import check_paths, ensure_model

    check_paths(settings)
    report = ensure_model(settings, force=True)
    assert report is not None
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"trained {report.intents} intents from {report.examples} examples in "
        f"{report.seconds:.2f}s (out-of-scope threshold {report.threshold:.2f}) "
        f"→ {settings.model_dir}"
    )
    return 0


def cmd_kb(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.kb_cli import run_kb_command

    return run_kb_command(args, settings)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.database import create_db_engine, current_revision, migrate

    engine = create_db_engine(settings.effective_database_url)
    migrate(engine)
    print(f"database at revision {current_revision(engine)}")
    return 0


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.user_cli import run_user_command

    return run_user_command(args, settings)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from connectors.slack.manifest import manifest, manifest_yaml

    if args.json:
        print(json.dumps(manifest(settings, args.name, args.socket_mode), indent=2))
    else:
        print(manifest_yaml(settings, args.name, args.socket_mode), end="")
    return 0


def cmd_teams(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.teams_cli import run_teams_command

    return run_teams_command(args, settings)


def cmd_nlu(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.nlu_cli import run_nlu_command

    return run_nlu_command(args)


def _command(args: argparse.Namespace) -> Command:
    if args.command == "nlu":
        return cmd_nlu
    if args.command == "kb":
        return cmd_kb
    if args.command == "db":
        return cmd_db_upgrade
    if args.command == "user":
        return cmd_user
    if args.command == "slack":
        return cmd_slack
    if args.command == "teams":
        return cmd_teams
    commands: dict[str, Command] = {
        "serve": cmd_serve,
        "chat": cmd_chat,
        "index": cmd_index,
        "train": cmd_train,
    }
    return commands[args.command]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # Alembic announces every plugin and migration step at INFO: noise on each command.
        logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))
        return _command(args)(args, settings)
    except SettingsError as error:
        print(f"tier0: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as error:  # training data, article or filesystem problems
        print(f"tier0: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
