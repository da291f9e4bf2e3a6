"""Settings in one place: defaults, then `tier0.toml`, then `TIER0_*` environment variables.

Nothing reads configuration at import time: `load_settings()` is called once by the
CLI or the app factory and the resulting frozen `Settings` is passed down explicitly.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.routing import Routing, parse_routing
from bot.sla import SlaPolicies, parse_sla

ENV_PREFIX = "TIER0_"
DEFAULT_CONFIG_FILE = "tier0.toml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


HELPDESKS = ("embedded", "rt", "jira", "zendesk")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and its source."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    kb_dir: Path = Path("kb_articles")
    database_url: str = ""  # empty means: a SQLite file inside data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8
    public_url: str = ""  # empty means: http://host:port
    nlu_data: Path | None = None  # None means: the data packaged with `nlu`
    nlu_threshold: float | None = None  # None means: the threshold chosen at training
    api_token: str = ""
    # The KB editor's JSON API (/api/v1/articles): a token of its own, because whoever
    # holds it can publish what the bot tells users; empty means that API is off.
    editor_api_token: str = ""
    log_level: str = "INFO"
    max_message_chars: int = 4000
    kb_watch_interval: float = 0.5  # polling: seconds between checks of the KB; 0: never watch
    kb_watch_poll: bool = False  # poll the KB files instead of the OS's change events
    sla: SlaPolicies = field(default_factory=lambda: parse_sla(None))  # the [sla] table
    sla_check_interval: float = 60.0  # seconds between a server's SLA checks; 0: never
    tickets: Routing = field(default_factory=lambda: parse_routing(None))  # [tickets] table
    # Where tickets finally live (bot/helpdesk.py, connectors/helpdesks/): "embedded"
    # keeps them in Tier0's database only; otherwise each is delivered via the outbox.
    helpdesk: str = "embedded"
    helpdesk_url: str = ""  # RT's web URL, https://yourcompany.atlassian.net, ...
    helpdesk_token: str = ""  # RT auth token or the Jira / Zendesk API token
    helpdesk_email: str = ""  # the account the Jira or Zendesk token belongs to
    helpdesk_queue: str = "Tier0"  # the RT queue
    helpdesk_key_field: str = "Tier0 Key"  # RT ticket custom field holding the idempotency key
    helpdesk_service_desk_id: str = ""  # Jira Service Management
    helpdesk_request_type_id: str = ""
    helpdesk_deliver_interval: float = 5.0  # seconds between outbox passes
    helpdesk_poll_interval: float = 60.0  # seconds between status polls; 0: never
    # Sites whose pages embed the chat widget ("https://www.example.com"): the only
    # origins the conversation endpoints answer cross-origin requests from.
    widget_origins: tuple[str, ...] = ()
    # Slack (connectors/slack/, docs/slack.md): on when the bot token and the signing
    # secret are both set; the app-level token only for Socket Mode.
    slack_bot_token: str = ""  # xoxb-...
    slack_signing_secret: str = ""
    slack_app_token: str = ""  # xapp-..., `tier0 serve --slack-socket-mode`
    slack_api_url: str = "https://slack.com/api/"  # tests and proxies point it elsewhere
    # Microsoft Teams (connectors/teams/, docs/teams.md): on when the app id is set.
    teams_app_id: str = ""  # the bot's Microsoft App ID: the audience of inbound tokens
    teams_app_password: str = ""  # its client secret, for the outbound token
    teams_tenant_id: str = ""  # a single-tenant bot's tenant; empty: multi-tenant
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    teams_token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tier0.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "models" / "nlu"

    def __repr__(self) -> str:
        """Never print secrets: the token and database password are masked."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["api_token"] = "***" if self.api_token else ""
        shown["editor_api_token"] = "***" if self.editor_api_token else ""
        for secret in (
            "helpdesk_token",
            "slack_bot_token",
            "slack_signing_secret",
            "slack_app_token",
            "teams_app_password",
        ):
            shown[secret] = "***" if getattr(self, secret) else ""
        shown["database_url"] = mask_url_password(self.database_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def mask_url_password(url: str) -> str:
    """`postgresql://u:secret@h/db` → `postgresql://u:***@h/db`, for logs and errors."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _parse_path(value: Any) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError("expected a non-empty path")
    return Path(str(value)).expanduser()


def _parse_optional_path(value: Any) -> Path | None:
    return None if value in (None, "") else _parse_path(value)


def _parse_int(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, got {number}")
        return number

    return parse


def _parse_threshold(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {number}")
    return number


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value.strip()


def _parse_database_url(value: Any) -> str:
    url = _parse_str(value)
    if url and "://" not in url:
        raise ValueError(
            "expected a SQLAlchemy URL such as sqlite:///var/tier0.db or "
            "postgresql+psycopg://user:password@host:5432/tier0"
        )
    return url


def _parse_public_url(value: Any) -> str:
    url = _parse_str(value)
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    return url


def _parse_service_url(value: Any) -> str:
    """A helpdesk's base URL: http(s), and no user:password in it (credentials go in
    their own settings, which are masked; a URL is printed in errors and logs)."""
    url = _parse_public_url(value)
    if url and (urlsplit(url).username or urlsplit(url).password):
        raise ValueError("put the credentials in TIER0_HELPDESK_TOKEN, not in the URL")
    if url and not urlsplit(url).hostname:
        raise ValueError(f"expected a URL with a host, got {url!r}")
    return url


def _parse_api_base(value: Any) -> str:
    """A Web API base URL such as https://slack.com/api/; the SDK appends method names
    to it, so it always ends in a slash."""
    url = _parse_service_url(value)
    if not url:
        raise ValueError("expected a URL such as https://slack.com/api/")
    return url.rstrip("/") + "/"


def _parse_origins(value: Any) -> tuple[str, ...]:
    """Origins, comma-separated (environment) or a list (TOML): scheme://host[:port]."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected origins such as https://www.example.com, comma-separated")
    origins = []
    for item in items:
        origin = str(item).strip().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if origin == "*":
            raise ValueError("'*' would let any site use the widget's API: list the origins")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        origins.append(origin)
    return tuple(origins)


def _parse_token(value: Any) -> str:
    token = _parse_str(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise ValueError("contains a control character (a pasted line break?)")
    return token


def _parse_interval(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of seconds, got {value!r}") from None
    if not 0 <= seconds <= 3600:
        raise ValueError(f"expected 0 (off) to 3600 seconds, got {value!r}")
    return seconds


def _parse_choice(value: Any, allowed: tuple[str, ...]) -> str:
    choice = _parse_str(value).lower()
    if choice not in allowed:
        raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
    return choice


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false (1 or 0), got {value!r}")


def _parse_log_level(value: Any) -> str:
    level = _parse_str(value).upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "data_dir": _parse_path,
    "kb_dir": _parse_path,
    "database_url": _parse_database_url,
    "host": _parse_str,
    "port": _parse_int(1, 65535),
    "threads": _parse_int(1, 256),
    "public_url": _parse_public_url,
    "nlu_data": _parse_optional_path,
    "nlu_threshold": _parse_threshold,
    "api_token": _parse_str,
    "editor_api_token": _parse_token,
    "log_level": _parse_log_level,
    "max_message_chars": _parse_int(1, 1_000_000),
    "kb_watch_interval": _parse_interval,
    "kb_watch_poll": _parse_bool,
    "sla": parse_sla,
    "sla_check_interval": _parse_interval,
    "tickets": parse_routing,
    "helpdesk": lambda value: _parse_choice(value, HELPDESKS),
    "helpdesk_url": _parse_service_url,
    "helpdesk_token": _parse_token,
    "helpdesk_email": _parse_str,
    "helpdesk_queue": _parse_str,
    "helpdesk_key_field": _parse_str,
    "helpdesk_service_desk_id": _parse_str,
    "helpdesk_request_type_id": _parse_str,
    "helpdesk_deliver_interval": _parse_interval,
    "helpdesk_poll_interval": _parse_interval,
    "widget_origins": _parse_origins,
    "slack_bot_token": _parse_token,
    "slack_signing_secret": _parse_token,
    "slack_app_token": _parse_token,
    "slack_api_url": _parse_api_base,
    "teams_app_id": _parse_token,
    "teams_app_password": _parse_token,
    "teams_tenant_id": _parse_token,
    "teams_openid_metadata_url": _parse_service_url,
    "teams_token_url": _parse_service_url,
}


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot read the configuration file: {error}") from None
    unknown = sorted(set(data) - set(PARSERS))
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; "
            f"known settings are {', '.join(sorted(PARSERS))}"
        )
    return data


def _apply(values: dict[str, Any], raw: Mapping[str, Any], source: Callable[[str], str]) -> None:
    for key, value in raw.items():
        try:
            values[key] = PARSERS[key](value)
        except ValueError as error:
            raise SettingsError(f"{source(key)}: {error}") from None


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Layer defaults → TOML file → environment → explicit overrides (CLI flags).

    The TOML file is `config_file`, else `$TIER0_CONFIG`, else `./tier0.toml` if it
    exists. Every value is validated; the first bad one raises `SettingsError`
    naming where it came from.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    explicit = config_file or (
        Path(environ["TIER0_CONFIG"]) if environ.get("TIER0_CONFIG") else None
    )
    if explicit is not None:
        _apply(values, _read_toml(explicit), lambda key: f"{explicit}: {key}")
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
        _apply(values, _read_toml(path), lambda key: f"{path}: {key}")
    from_env = {key: environ[env_name(key)] for key in PARSERS if env_name(key) in environ}
    _apply(values, from_env, env_name)
    _apply(
        values,
        {k: v for k, v in (overrides or {}).items() if v is not None},
        lambda k: f"--{k.replace('_', '-')}",
    )
    return replace(Settings(), **values)
