from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.data_dir == Path("var") and settings.kb_dir == Path("kb_articles")
    assert settings.host == "127.0.0.1" and settings.port == 8000
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("/var/tier0.db")
    assert settings.effective_public_url == "http://127.0.0.1:8000"


def test_layers_toml_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "tier0.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\ndata_dir = "/srv/tier0"\n')
    env = {"TIER0_PORT": "9100", "TIER0_DATABASE_URL": "postgresql+psycopg://u:pw@db/t"}
    settings = load_settings(config, env, overrides={"data_dir": Path("/override")})
    assert settings.host == "0.0.0.0"
    assert settings.port == 9100
    assert settings.data_dir == Path("/override")
    assert settings.database_url == "postgresql+psycopg://u:pw@db/t"
    assert "pw" not in repr(settings)


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text("threads = 3\n")
    assert load_settings(environ={"TIER0_CONFIG": str(config)}).threads == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIER0_PORT": "eighty"}, "TIER0_PORT: expected a whole number"),
        ({"TIER0_PORT": "70000"}, "TIER0_PORT: must be between 1 and 65535"),
        ({"TIER0_DATABASE_URL": "var/tier0.db"}, "TIER0_DATABASE_URL: expected a SQLAlchemy URL"),
        ({"TIER0_PUBLIC_URL": "ftp://x"}, "TIER0_PUBLIC_URL: expected an http"),
        ({"TIER0_NLU_THRESHOLD": "1.5"}, "TIER0_NLU_THRESHOLD: must be between 0 and 1"),
        ({"TIER0_LOG_LEVEL": "LOUD"}, "TIER0_LOG_LEVEL: expected one of"),
        ({"TIER0_DATA_DIR": " "}, "TIER0_DATA_DIR: expected a non-empty path"),
        ({"TIER0_KB_WATCH_INTERVAL": "often"}, "TIER0_KB_WATCH_INTERVAL: expected a number"),
        ({"TIER0_KB_WATCH_INTERVAL": "-1"}, "TIER0_KB_WATCH_INTERVAL: expected 0 .off. to"),
    ],
)
def test_bad_environment_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings(environ=env)


def test_bad_toml_names_file_and_problem(tmp_path: Path) -> None:
    config = tmp_path / "tier0.toml"
    config.write_text("port = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(config, {})
    config.write_text("prot = 8000\n")
    with pytest.raises(SettingsError, match=r"unknown setting.*prot"):
        load_settings(config, {})
    config.write_text('port = "x"\n')
    with pytest.raises(SettingsError, match=r"tier0.toml: port: expected a whole number"):
        load_settings(config, {})
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", {})


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().port = 1  # type: ignore[misc]


def test_sla_targets_come_from_the_toml_file(tmp_path: Path) -> None:
    from datetime import timedelta

    config = tmp_path / "tier0.toml"
    config.write_text(
        '[sla.calendars.office]\ntimezone = "Europe/Berlin"\n'
        'hours = { mon = "08:00-16:00", tue = "08:00-16:00" }\n'
        '[sla.policies.P2]\nfirst_response = "1h"\nresolution = "6h"\n'
    )
    sla = load_settings(config, {}).sla
    assert sla.for_priority("P2").resolution == timedelta(hours=6)
    assert sla.for_priority("P2").calendar.zone.key == "Europe/Berlin"
    assert sla.for_priority("P1").first_response == timedelta(minutes=30), "defaults stay"
    config.write_text('[sla.policies.P2]\nresolution = "2d"\n')
    with pytest.raises(SettingsError, match=r"tier0.toml: sla: sla.policies.P2.resolution"):
        load_settings(config, {})
    with pytest.raises(SettingsError, match="TIER0_SLA: sla: expected a table"):
        load_settings(environ={"TIER0_SLA": "P1=1h"})
