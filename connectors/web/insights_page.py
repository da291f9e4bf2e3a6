"""Content gaps and analytics at /admin/insights, and each table as CSV.

The numbers come from `bot.insights` over a window of the last N days (`?days=`,
7 by default); the charts are server-side SVG (`connectors.web.charts`), so the
page needs no script and no chart library.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from bot import insights as figures
from bot.app import Assistant
from connectors.web.auth import require
from connectors.web.charts import bar_chart, stacked_bar

insights = Blueprint("insights", __name__, url_prefix="/admin/insights")
WINDOWS = (1, 7, 30, 90, 365)
# Why a question is a gap, as the page says it (any other reason is a fallback's).
REASON_NAMES = {
    figures.NOT_HELPFUL: "marked not helpful",
    figures.NONE_FITTED: "none of the offered articles fitted",
    "no_article": "no article found",
    "not_understood": "not understood",
    "out_of_scope": "out of scope",
}


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def _window() -> tuple[int, datetime]:
    days = request.args.get("days", "7")
    number = int(days) if days.isdigit() and int(days) in WINDOWS else 7
    return number, datetime.now(UTC) - timedelta(days=number)


def _category_of(article_id: str) -> str | None:
    article = assistant().kb.get(article_id)
    return article.category if article is not None else None


def _title_of(article_id: str) -> str:
    article = assistant().kb.get(article_id)
    return article.title if article is not None else article_id


# name → (dataclass, how to compute the rows from a transaction and the window start)
TABLES: dict[str, tuple[type[Any], Callable[[Any, datetime], list[Any]]]] = {
    "gaps": (figures.ContentGap, lambda tx, since: figures.content_gaps(tx, since, limit=200)),
    "unhelpful": (
        figures.ArticleFeedback,
        lambda tx, since: figures.unhelpful_articles(tx, since, limit=200),
    ),
    "deflection": (figures.Deflection, lambda tx, since: [figures.deflection(tx, since)]),
    "intents": (figures.IntentEscalation, figures.escalation_by_intent),
    "categories": (
        figures.CategoryEscalation,
        lambda tx, since: figures.escalation_by_category(tx, since, _category_of),
    ),
    "sla": (
        figures.SlaAttainment,
        lambda tx, since: figures.sla_attainment(tx, since, assistant().settings.sla),
    ),
}


@insights.get("")
@require("insights")
def overview() -> str:
    days, since = _window()
    with assistant().store.transaction() as tx:
        tables = {name: compute(tx, since) for name, (_, compute) in TABLES.items()}
    deflected = tables["deflection"][0]
    charts = {
        "deflection": stacked_bar(
            "How conversations ended",
            [
                ("Confirmed solved", deflected.confirmed),
                ("Assumed solved", deflected.assumed),
                ("Escalated to a ticket", deflected.escalated),
                ("Unresolved, no ticket", deflected.unresolved),
            ],
            chart_id="chart-deflection",
        ),
        "intents": bar_chart(
            "Escalation rate by intent",
            [(row.intent, round(row.rate * 100)) for row in tables["intents"][:10]],
            unit="%",
            chart_id="chart-intents",
        ),
        "categories": bar_chart(
            "Escalation rate by category",
            [(row.category, round(row.rate * 100)) for row in tables["categories"][:10]],
            unit="%",
            chart_id="chart-categories",
        ),
        "sla": bar_chart(
            "SLA attainment by priority",
            # Only priorities with a known outcome: "0 %" of nothing would read as failure.
            [
                (row.priority, round(row.attainment * 100))
                for row in tables["sla"]
                if row.met + row.breached
            ],
            unit="%",
            chart_id="chart-sla",
        ),
    }
    return render_template(
        "admin/insights.html", days=days, windows=WINDOWS, tables=tables, charts=charts,
        deflection=deflected, title_of=_title_of, reason_names=REASON_NAMES,
    )  # fmt: skip


@insights.get("/<table>.csv")
@require("insights")
def export(table: str) -> Response:
    if table not in TABLES:
        abort(404)
    days, since = _window()
    row_type, compute = TABLES[table]
    with assistant().store.transaction() as tx:
        text = figures.to_csv(compute(tx, since), row_type)
    response = Response(text, mimetype="text/csv")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    name = f"tier0-{table}-{days}d-{stamp}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
