"""Real `tier0 serve` processes on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import KB_DIR

STARTUP_LIMIT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_in: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — the crash we must survive."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_healthy(server: Server, limit: float = STARTUP_LIMIT) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not healthy in {limit}s:\n{server.log_path.read_text()[-4000:]}")


def start_server(
    data_dir: Path, database_url: str, log_dir: Path, *, kb_dir: Path = KB_DIR, **env: str
) -> Server:
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    environment = {
        **os.environ,
        "TIER0_DATABASE_URL": database_url,
        "TIER0_LOG_LEVEL": "INFO",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "connectors.cli",
        "serve",
        "--data-dir",
        str(data_dir),
        "--kb",
        str(kb_dir),
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    server = Server(process, port, log_path, 0.0)
    server.started_in = wait_healthy(server)
    return server


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Collects started servers and stops every one of them after the test."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
