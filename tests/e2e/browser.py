"""Headless Chromium (Debian's, /usr/bin/chromium) driven by Playwright, for the web UIs.

No browser is downloaded: Playwright launches the system Chromium with the flags a
closed network needs. Without Chromium the browser tests skip locally and fail under
CI, which installs it (.ci/run). Screenshots go to $TIER0_ARTEFACTS (default
var/artefacts), which is not committed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TIER0_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artefacts_dir() -> Path:
    directory = Path(os.environ.get("TIER0_ARTEFACTS", ROOT / "var" / "artefacts"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def chromium_or_skip() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium package")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()
