"""/admin/insights through the real app: conversations that fell to the fallback,
an article marked not helpful and a ticket, shown as gaps, rankings, rates and
charts, and exported as CSV that spreadsheets cannot run."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, unquote, urlsplit

from tests.connectors.test_api import api_sender
from tests.drivers import open_ticket
from tests.web.xss_payloads import PAYLOADS, assert_inert

UNANSWERED = ["my zorblax flimflam is purple", "zorblax flimflam purple, why?"]
FORMULA = '=HYPERLINK("http://evil.example","see the docs")'


def _conversation(client, *texts: str):  # type: ignore[no-untyped-def]
    conversation = client.post("/api/v1/conversations").get_json()["id"]
    send = api_sender(client, conversation)
    replies = [send({"text": text}) for text in texts]
    return send, replies


def _activity(client) -> None:  # type: ignore[no-untyped-def]
    for text in UNANSWERED:
        _conversation(client, text)
    _conversation(client, FORMULA)
    _conversation(client, PAYLOADS[2])
    send, replies = _conversation(client, "how do I install tier0 on windows")
    assert any(r["type"] == "article" for r in replies[0])
    send({"choice": "no"})
    send, _ = _conversation(client, "how do I back up tier0")
    send({"choice": "yes"})
    send, _ = _conversation(client, "talk to a human")
    open_ticket(send, send({"text": "the export to CSV hangs"}))


def test_the_page_shows_gaps_rankings_and_rates(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    _activity(web_app.test_client())
    editor = signed_in("editor")
    page = editor.get("/admin/insights")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert_inert(html, "/admin/insights")
    assert "zorblax" in html and "Create article from this" in html
    assert "Install Tier0 on Windows" in html  # ranked by "not helpful"
    assert 'href="/admin/articles/install-windows">Improve “Install Tier0 on Windows”' in html
    assert html.count("<svg") >= 3 and "How conversations ended" in html
    assert "confirmed by the user" in html and "assumed" in html
    link = next(
        part.split('"')[0]
        for part in html.split('href="')[1:]
        if part.startswith("/admin/articles/new?") and "zorblax" in unquote(part.split('"')[0])
    )
    questions = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["question"]
    assert set(UNANSWERED) <= set(questions)  # the two wordings are one gap
    form = editor.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "my zorblax flimflam is purple" in form


def test_csv_exports_have_headers_and_no_formulas(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    _activity(web_app.test_client())
    editor = signed_in("editor")
    for table in ("gaps", "unhelpful", "deflection", "intents", "categories", "sla"):
        response = editor.get(f"/admin/insights/{table}.csv?days=30")
        assert response.status_code == 200 and response.mimetype == "text/csv", table
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows and rows[0], table
        for row in rows[1:]:
            assert not any(cell[:1] in "=+-@" for cell in row if cell), (table, row)
    gaps = editor.get("/admin/insights/gaps.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in gaps
    assert editor.get("/admin/insights/nope.csv").status_code == 404
    assert signed_in("agent").get("/admin/insights/gaps.csv").status_code == 403


def test_offers_the_user_turned_down_are_gaps(web_app, web_assistant) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from bot.insights import NONE_FITTED, content_gaps

    client = web_app.test_client()
    send, replies = _conversation(client, "how do I frobnicate the quux widget")
    offered = [c["id"] for r in replies[0] if r["type"] == "choices" for c in r["choices"]]
    assert "human" in offered and any(c.startswith("article:") for c in offered)
    send({"choice": "human"})  # "None of these, talk to a human"
    picked, replies = _conversation(client, "frobnicate the quux widget")
    article = next(c for r in replies[0] if r["type"] == "choices" for c in r["choices"])
    picked({"choice": article["id"]})  # took one: not a gap
    with web_assistant.store.transaction() as tx:
        gaps = content_gaps(tx, datetime.now(UTC) - timedelta(days=1))
    gap = next(g for g in gaps if "frobnicate" in g.question)
    assert gap.count == 1 and dict(gap.reasons) == {NONE_FITTED: 1}
