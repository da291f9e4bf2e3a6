"""`tier0 user add | list | passwd`: accounts of the web UIs, from the server's shell.

The first admin can only be made here (nobody can sign in to make one). Passwords
are read without echo from the terminal, or from stdin with `--password-stdin` for
scripts; never from an argument, which `ps` and shell history would show.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.accounts import ROLES, AccountError, add_user, list_users, set_password
from bot.settings import Settings


def add_user_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    user = commands.add_parser("user", help="web UI accounts (admin, editor, agent)")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="USER_COMMAND")
    add = user_commands.add_parser("add", parents=[common], help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="editor", help="default: editor")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    passwd = user_commands.add_parser("passwd", parents=[common], help="set a new password")
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    user_commands.add_parser("list", parents=[common], help="list the accounts")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def run_user_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import Store

    store = Store.from_url(settings.effective_database_url)
    try:
        with store.transaction() as tx:
            if args.user_command == "list":
                for user, row in list_users(tx.session):
                    locked = " (locked)" if row.locked_until else ""
                    print(f"{user.username}\t{user.role}\t{user.display_name}{locked}")
                return 0
            password = _password(args)
            if args.user_command == "add":
                user = add_user(tx.session, args.username, password, args.role, args.name)
                print(f"added {user.role} {user.username!r}; sign in at /admin/login")
            else:
                set_password(tx.session, args.username, password)
                print(f"password of {args.username!r} changed; their sessions were signed out")
    except AccountError as error:
        print(f"tier0: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0
