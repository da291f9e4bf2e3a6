"""The KB editor and the agent console in headless Chromium, against `tier0 serve`.

An editor signs in, writes an article with the live preview, edits it, sends it for
review and publishes it, and the next question in the widget finds it; an agent
answers a ticket from the console and the reply appears in the open widget without
a reload; every hostile string, in chat messages, article bodies and front matter,
runs nowhere (no dialog, no `window.__pwned`, no event-handler attribute in the DOM).
Screenshots at 1280 and 360 px go to the artefacts directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import KB_DIR
from tests.drivers import http_json
from tests.e2e.browser import artefacts_dir, browser  # noqa: F401 - the fixture
from tests.e2e.conftest import Server, start_server
from tests.e2e.test_widget_browser import WAIT, ask, ask_for_a_human, open_widget
from tests.web.test_xss import hostile_article
from tests.web.xss_payloads import PAYLOADS

pytestmark = pytest.mark.slow
TOKEN = "ui-token-for-tests"
PASSWORDS = {"editor": "editor-password-1", "agent": "agent-password-1"}
# Any element with an event-handler attribute, or a script URL, anywhere in the page.
ACTIVE_DOM = """() => {
  const roots = [document];
  document.querySelectorAll('*').forEach(e => { if (e.shadowRoot) roots.push(e.shadowRoot); });
  const bad = [];
  for (const root of roots) for (const e of root.querySelectorAll('*')) {
    for (const a of e.attributes) {
      const v = a.value.replace(/\\s/g, '').toLowerCase();
      if (a.name.startsWith('on') || (['href', 'src', 'action', 'srcdoc'].includes(a.name)
          && (v.startsWith('javascript:') || v.startsWith('data:')))) {
        bad.push(e.tagName + ' ' + a.name);
      }
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE'].includes(e.tagName)) bad.push(e.tagName);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, prepared_dir: Path) -> Iterator[Server]:
    """A server on a copy of the KB, with an editor and an agent made by `tier0 user add`."""
    root = tmp_path_factory.mktemp("web-ui")
    kb_dir, data_dir = root / "kb", root / "data"
    shutil.copytree(KB_DIR, kb_dir)
    shutil.copytree(prepared_dir, data_dir, ignore=shutil.ignore_patterns("*.db", "*.lock"))
    database = f"sqlite:///{root / 'tier0.db'}"
    for role, password in PASSWORDS.items():
        subprocess.run(
            [sys.executable, "-m", "connectors.cli", "user", "add", role, "--role", role,
             "--name", f"{role.title()} Person", "--password-stdin",
             "--data-dir", str(data_dir), "--kb", str(kb_dir)],
            input=f"{password}\n", text=True, check=True, capture_output=True,
            env={"TIER0_DATABASE_URL": database, "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    started = start_server(
        data_dir, database, root, kb_dir=kb_dir,
        TIER0_API_TOKEN=TOKEN, TIER0_EDITOR_API_TOKEN=TOKEN, TIER0_HELPDESK_POLL_INTERVAL="0",
    )  # fmt: skip
    yield started
    started.stop()


def sign_in(page: Any, server: Server, role: str) -> None:
    page.goto(f"{server.url}/admin/login")
    page.locator("#username").fill(role)
    page.locator("#password").fill(PASSWORDS[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"{role.title()} Person").wait_for(timeout=WAIT)


def watch_for_scripts(page: Any) -> list[str]:
    """Dialogs the page opened: any one means a payload ran."""
    opened: list[str] = []

    def record(dialog: Any) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def assert_nothing_ran(page: Any, opened: list[str], where: str) -> None:
    assert page.evaluate("window.__pwned") is None, where
    assert opened == [], where
    assert page.evaluate(ACTIVE_DOM) == [], where


def test_an_editor_publishes_and_the_widget_finds_it(browser: Any, server: Server) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "editor")
    page.get_by_role("link", name="New article").click()
    page.locator("#title").fill("Calibrate the flux capacitor")
    page.locator("#category").select_option("howto")
    page.locator("#questions").fill(
        "how do I calibrate the flux capacitor\nflux capacitor calibration"
    )
    page.locator("#body").fill("Turn the **calibration dial** to 88 before you start.")
    # The live preview shows the page as users will see it, as the editor types.
    page.locator("#preview-body strong", has_text="calibration dial").wait_for(timeout=WAIT)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for(timeout=WAIT)
    body = page.locator("#body")
    body.fill(body.input_value() + "\n\nThen press the green Reset button.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for(timeout=WAIT)
    page.screenshot(path=str(artefacts_dir() / "editor-1280.png"), full_page=True)
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_text("Published: the assistant answers").wait_for(timeout=WAIT)

    visitor = browser.new_page(viewport={"width": 1280, "height": 900})
    panel = open_widget(visitor, server)
    ask(panel, "how do I calibrate the flux capacitor?")
    card = panel.locator(".tier0-card").last
    card.wait_for(timeout=WAIT)
    assert card.locator(".tier0-card-title").inner_text() == "Calibrate the flux capacitor"
    visitor.goto(card.locator("a").first.get_attribute("href"))
    assert "green Reset button" in visitor.locator("article").inner_text()

    small = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(small, server, "editor")
    small.goto(f"{server.url}/admin/articles/calibrate-the-flux-capacitor")
    small.locator("#preview-body").wait_for()
    assert small.evaluate("document.documentElement.scrollWidth") <= 360
    small.screenshot(path=str(artefacts_dir() / "editor-360.png"), full_page=True)
    history = small.goto(f"{server.url}/admin/articles/calibrate-the-flux-capacitor/history")
    assert history is not None and history.status == 200
    assert small.get_by_text("published").count() >= 1
    context.close()


def test_an_agent_reply_from_the_console_reaches_the_open_widget(
    browser: Any,  # noqa: F811
    server: Server,
) -> None:
    visitor = browser.new_page(viewport={"width": 1280, "height": 900})
    panel = open_widget(visitor, server)
    ticket_id = ask_for_a_human(panel, "the nightly sync stopped with error 0x80070005")

    console = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(console, server, "agent")
    row = console.locator("table.queue tr", has_text=f"#{ticket_id}")
    assert "left" in row.inner_text()
    row.get_by_role("link", name=f"#{ticket_id}").click()
    console.get_by_text("0x80070005").first.wait_for(timeout=WAIT)
    console.locator("#reply-text").fill("Hi, this is Ana from support: run **Repair** once.")
    console.screenshot(path=str(artefacts_dir() / "console-1280.png"), full_page=True)
    console.get_by_role("button", name="Send reply").click()
    console.get_by_text("Reply sent").wait_for(timeout=WAIT)

    panel.get_by_text("this is Ana from support").wait_for(timeout=WAIT)
    assert panel.locator(".tier0-agent strong", has_text="Repair").count() == 1
    assert "Agent Person" in panel.locator(".tier0-agent-name").last.inner_text()
    # The agent has the conversation now: the user's answer reaches the open console.
    ask(panel, "ran Repair, the sync works again")
    console.locator("#transcript", has_text="the sync works again").wait_for(timeout=WAIT)

    small = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(small, server, "agent")
    small.goto(f"{server.url}/agent/tickets/{ticket_id}")
    assert small.evaluate("document.documentElement.scrollWidth") <= 360
    small.screenshot(path=str(artefacts_dir() / "console-360.png"), full_page=True)
    visitor.close()


def test_no_hostile_string_runs_anywhere(browser: Any, server: Server) -> None:  # noqa: F811
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for number, payload in enumerate(PAYLOADS):
        body = hostile_article(number, payload)
        status, created = http_json("POST", f"{server.url}/api/v1/articles", body, auth)
        assert status == 201, created
        for action in ("submit", "publish"):
            status, _ = http_json(
                "POST", f"{server.url}/api/v1/articles/xss-{number}/{action}", {}, auth
            )
            assert status == 200
    page = browser.new_page()
    opened = watch_for_scripts(page)
    for number in range(len(PAYLOADS)):
        page.goto(f"{server.url}/kb/xss-{number}")
        assert page.locator("h1").inner_text().startswith(f"XSS {number} ")
        assert_nothing_ran(page, opened, f"/kb/xss-{number}")

    panel = open_widget(page, server)
    for payload in PAYLOADS:
        ask(panel, payload)
        panel.locator(".tier0-user", has_text=payload[:10]).last.wait_for(timeout=WAIT)
    ask(panel, f"xss 2 {PAYLOADS[2]}")  # an article card whose title is hostile
    panel.locator(".tier0-card-title", has_text="XSS").last.wait_for(timeout=WAIT)
    page.wait_for_timeout(300)
    assert_nothing_ran(page, opened, "the widget")
    ticket_id = ask_for_a_human(panel, PAYLOADS[0], fresh=False)

    staff = browser.new_context().new_page()
    staff_opened = watch_for_scripts(staff)
    sign_in(staff, server, "agent")
    for path in ("/agent", f"/agent/tickets/{ticket_id}"):
        staff.goto(f"{server.url}{path}")
        assert_nothing_ran(staff, staff_opened, path)
    assert staff.get_by_text(PAYLOADS[2]).count() >= 1  # shown, as text

    editor = browser.new_context().new_page()
    editor_opened = watch_for_scripts(editor)
    sign_in(editor, server, "editor")
    for path in ("/admin/articles?q=xss", "/admin/articles/xss-5", "/admin/articles/xss-5/history"):
        editor.goto(f"{server.url}{path}")
        assert_nothing_ran(editor, editor_opened, path)
    editor.goto(f"{server.url}/admin/articles/xss-7")
    for payload in PAYLOADS:  # the live preview of each hostile body
        editor.locator("#body").fill(f"preview {payload}")
        editor.locator("#preview-body", has_text="preview").wait_for(timeout=WAIT)
    editor.wait_for_timeout(500)
    assert_nothing_ran(editor, editor_opened, "the live preview")
