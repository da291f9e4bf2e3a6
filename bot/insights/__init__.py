"""What the KB editor's insights page shows: where the knowledge base falls short.

Pure functions over the store. Each takes a SQLAlchemy `Session` (or a `Transaction`)
and the start of the window, an aware UTC datetime, and returns frozen dataclasses that
`to_csv` exports. Counting is done in SQL (GROUP BY, EXISTS) with SQLAlchemy's portable
constructs only, so the same queries run on SQLite and PostgreSQL; the one JSON look-up,
`EventRow.data["article_id"].as_string()`, is compiled by SQLAlchemy for both. Python
does what SQL cannot: grouping questions by wording, and the SLA clock (the very code
behind the ticket API's `sla` object, so the page and the API never disagree).

A conversation is "in the window" when the user wrote in it since `since`; what it led
to (a ticket, feedback, a fix that worked) counts over its whole life.

- `gaps.py`: content gaps, questions grouped by wording (`questions.py` reads them).
- `articles.py`: unhelpful articles.
- `conversations.py`: deflection, and escalation by intent and by category.
- `sla.py`: SLA attainment.
- `export.py`: `to_csv`, with formula-injection guarded.
- `common.py`: what they share (`Db`, IN lists in chunks, ratios, the JSON look-up).
"""

from bot.insights.articles import ArticleFeedback, unhelpful_articles
from bot.insights.common import CHUNK, Db
from bot.insights.conversations import (
    NEGATIVE_EVENTS,
    NO_ARTICLE,
    NO_INTENT,
    UNCATEGORISED,
    CategoryEscalation,
    Deflection,
    IntentEscalation,
    deflection,
    escalation_by_category,
    escalation_by_intent,
)
from bot.insights.export import FORMULA_START, to_csv
from bot.insights.gaps import MAX_EXAMPLES, SIMILAR, ContentGap, content_gaps, question_terms
from bot.insights.questions import NONE_FITTED, NONE_OF_THESE, NOT_HELPFUL
from bot.insights.sla import SlaAttainment, sla_attainment

__all__ = [
    "CHUNK",
    "FORMULA_START",
    "MAX_EXAMPLES",
    "NEGATIVE_EVENTS",
    "NONE_FITTED",
    "NONE_OF_THESE",
    "NOT_HELPFUL",
    "NO_ARTICLE",
    "NO_INTENT",
    "SIMILAR",
    "UNCATEGORISED",
    "ArticleFeedback",
    "CategoryEscalation",
    "ContentGap",
    "Db",
    "Deflection",
    "IntentEscalation",
    "SlaAttainment",
    "content_gaps",
    "deflection",
    "escalation_by_category",
    "escalation_by_intent",
    "question_terms",
    "sla_attainment",
    "to_csv",
    "unhelpful_articles",
]
