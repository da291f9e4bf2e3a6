"""The chat widget in a real browser: headless Chromium on /demo against `tier0 serve`.

A visitor asks a question and gets an article card, says it did not help, completes a
guided fix with buttons, asks for a human and sees the ticket reference; an agent's
reply arrives in the open widget without a reload; the conversation survives a
reload; hostile text is shown as text; the panel works at 360 px and by keyboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.drivers import http_json
from tests.e2e.browser import artefacts_dir, browser  # noqa: F401 - the fixture
from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.slow
TOKEN = "agent-token-for-tests"
WAIT = 15_000  # ms: agent replies arrive by polling every 3 s


@pytest.fixture
def server(tmp_path: Path, prepared_dir: Path, servers: list[Server]) -> Server:
    started = start_server(
        prepared_dir,
        f"sqlite:///{tmp_path / 'tier0.db'}",
        tmp_path,
        TIER0_API_TOKEN=TOKEN,
        TIER0_HELPDESK_POLL_INTERVAL="0",
    )
    servers.append(started)
    return started


def open_widget(page: Any, server: Server) -> Any:
    """Load /demo, open the panel; returns a locator scope inside the shadow root."""
    page.goto(f"{server.url}/demo")
    page.locator(".tier0-launcher").click()
    panel = page.locator(".tier0-panel")
    panel.wait_for(state="visible")
    return panel


def ask(panel: Any, text: str) -> None:
    panel.locator(".tier0-input").fill(text)
    panel.locator(".tier0-send").click()


def last_choices(panel: Any) -> Any:
    return panel.locator(".tier0-choices").last


def click_choice(panel: Any, label: str) -> None:
    button = last_choices(panel).get_by_role("button", name=label, exact=True)
    button.wait_for(state="visible", timeout=WAIT)
    button.click()


def ask_for_a_human(panel: Any, problem: str, *, fresh: bool = True) -> int:
    """ "Talk to a human", the problem in one line, the handoff's questions by button;
    returns the number of the ticket the widget shows. In a `fresh` conversation the
    bot first asks what the problem is (later, it may offer what was said already)."""
    panel.locator(".tier0-human").click()
    if fresh:
        panel.get_by_text("what do you need help with").last.wait_for(timeout=WAIT)
    ask(panel, problem)
    click_choice(panel, "Only me")
    click_choice(panel, "Today would be good")
    click_choice(panel, "Send it")
    reference = panel.locator(".tier0-ticket-ref").last
    reference.wait_for(timeout=WAIT)
    return int(reference.inner_text().split("#")[1].split()[0])


def test_a_visitor_gets_an_answer_a_guided_fix_and_a_ticket(browser: Any, server: Server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    panel = open_widget(page, server)
    assert page.evaluate("document.activeElement.className") == "tier0-widget-host"

    ask(panel, "How do I install Tier0 on Windows?")
    card = panel.locator(".tier0-card").last
    card.wait_for(timeout=WAIT)
    assert "Windows" in card.locator(".tier0-card-title").inner_text()
    assert card.locator("a").get_attribute("href").startswith(server.url)
    click_choice(panel, "Not really")  # "was this helpful?" → not helpful
    panel.get_by_text("Shall I open a ticket").last.wait_for(timeout=WAIT)
    click_choice(panel, "No, thanks")

    ask(panel, "the tier0 server won't start")
    panel.get_by_text("Step 1 of").last.wait_for(timeout=WAIT)
    click_choice(panel, "No, still broken")
    panel.get_by_text("Step 2 of").last.wait_for(timeout=WAIT)
    click_choice(panel, "Yes, it's fixed")
    panel.get_by_text("glad that fixed it").last.wait_for(timeout=WAIT)
    page.screenshot(path=str(artefacts_dir() / "widget-1280.png"))

    ticket_id = ask_for_a_human(panel, "the export to CSV hangs forever")

    status, ticket = http_json("GET", f"{server.url}/api/v1/tickets/{ticket_id}", headers=auth())
    assert status == 200 and ticket["channel"] == "widget"
    assert [s["outcome"] for s in ticket["steps_tried"]] == ["not_fixed", "fixed"]
    assert {a["article_id"]: a["feedback"] for a in ticket["articles"]}["install-windows"] == (
        "not_helpful"
    )

    # An agent answers; the open widget shows it without a reload.
    status, _ = http_json(
        "POST",
        f"{server.url}/api/v1/tickets/{ticket_id}/replies",
        {"text": "Hello from support: try **Export → CSV (fast)**.", "agent": "Ana"},
        headers=auth(),
    )
    assert status == 201
    panel.get_by_text("Hello from support").wait_for(timeout=WAIT)
    assert panel.locator(".tier0-msg strong", has_text="Export → CSV (fast)").count() == 1

    # The conversation survives a reload.
    before = panel.locator(".tier0-msg").count()
    page.reload()
    page.locator(".tier0-launcher").click()
    page.locator(".tier0-panel").get_by_text("Hello from support").wait_for(timeout=WAIT)
    assert page.locator(".tier0-panel .tier0-msg").count() == before
    page.close()


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    "[click me](javascript:window.__pwned=1)",
    "**<svg onload=window.__pwned=1>**",
    "`<iframe src=javascript:window.__pwned=1>`",
]


def test_hostile_text_is_shown_as_text(browser: Any, server: Server) -> None:  # noqa: F811
    page = browser.new_page()
    panel = open_widget(page, server)
    for text in HOSTILE:
        ask(panel, text)
        panel.locator(".tier0-user", has_text=text[:12]).last.wait_for(timeout=WAIT)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    for tag in ("img", "script", "svg", "iframe"):
        assert panel.locator(f".tier0-log {tag}").count() == 0, tag
    assert panel.locator(".tier0-log a[href^='javascript']").count() == 0
    page.close()


def test_small_screens_and_the_keyboard(browser: Any, server: Server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{server.url}/demo")
    launcher = page.locator(".tier0-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.focus()
    page.keyboard.press("Enter")
    panel = page.locator(".tier0-panel")
    panel.wait_for(state="visible")
    assert launcher.get_attribute("aria-expanded") == "true"
    assert panel.get_attribute("role") == "dialog"
    assert panel.locator("[role=log]").get_attribute("aria-live") == "polite"
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.keyboard.type("how do I back up tier0")
    page.keyboard.press("Enter")
    panel.locator(".tier0-card").last.wait_for(timeout=WAIT)
    page.screenshot(path=str(artefacts_dir() / "widget-360.png"))
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert (
        page.evaluate("document.activeElement.shadowRoot.activeElement.className")
        == "tier0-launcher"
    )
    page.close()


def test_cors_only_for_configured_origins(
    tmp_path: Path, prepared_dir: Path, servers: list[Server]
) -> None:
    allowed = "https://shop.example.com"
    started = start_server(
        prepared_dir, f"sqlite:///{tmp_path / 'cors.db'}", tmp_path, TIER0_WIDGET_ORIGINS=allowed
    )
    servers.append(started)
    import urllib.request

    def preflight(origin: str, path: str) -> str | None:
        request = urllib.request.Request(
            f"{started.url}{path}",
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    assert preflight(allowed, "/api/v1/conversations") == allowed
    assert preflight("https://evil.example.net", "/api/v1/conversations") is None
    assert preflight(allowed, "/api/v1/tickets/1") is None, "tickets are never cross-origin"
