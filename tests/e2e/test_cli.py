"""The `tier0` command line as a user meets it: version, a taken port, quiet commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import KB_DIR


def tier0(*args: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIER0_DATABASE_URL": f"sqlite:///{data_dir / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "connectors.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = tier0("--version", data_dir=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("tier0 ")


def test_a_taken_port_is_a_clear_error_not_a_false_start(prepared_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tier0(
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(prepared_dir),
            "--kb",
            str(KB_DIR),
            data_dir=prepared_dir,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "serving on" not in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_do_not_chatter(tmp_path: Path) -> None:
    result = tier0("db", "upgrade", "--data-dir", str(tmp_path), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.db").exists(), "the migrations really ran"
    assert "alembic" not in result.stderr
