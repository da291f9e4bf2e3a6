"""Human-facing pages: the KB article view (the `url` of every article reply) and health."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from sqlalchemy import text

from bot.app import Assistant
from bot.kb.articles import internal_target
from bot.kb.fixes import STEP_ID, VALID_ID
from connectors.web.render import render_markdown

pages = Blueprint("pages", __name__)


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def make_markdown() -> MarkdownIt:
    """CommonMark with raw HTML disabled; links to `other.md` become `/kb/other`.

    With `html` off, markdown-it escapes any HTML in an article and refuses
    `javascript:` links, so rendered articles need no further sanitising.
    """
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_link_open = md.renderer.rules.get("link_open")

    # markdown-it binds render rules as methods of the renderer: (self, tokens, ...).
    def link_open(renderer, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        internal = internal_target(str(tokens[idx].attrGet("href") or ""))
        if internal is not None:
            article_id, anchor = internal
            tokens[idx].attrSet("href", f"/kb/{article_id}" + (f"#{anchor}" if anchor else ""))
        if default_link_open:
            return default_link_open(tokens, idx, options, env)
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    md.core.ruler.before("inline", "step_ids", _step_ids)
    return md


def _step_ids(state: StateCore) -> None:
    """`### Title {#id}` (a guided-fix step's id) becomes `<h3 id="id">Title</h3>`, so an
    answer's `#id` target is also a working link on the page."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open" or tokens[index + 1].type != "inline":
            continue
        match = STEP_ID.match(tokens[index + 1].content)
        if match and VALID_ID.match(match["id"]):
            tokens[index + 1].content = match["title"]
            token.attrSet("id", match["id"])


PAGE_SIZE = 100


@pages.get("/")
def home() -> str:
    kb = assistant().kb
    page = request.args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1
    pages_total = max(1, -(-kb.article_count // PAGE_SIZE))
    number = min(number, pages_total)
    articles = kb.browse((number - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template("kb_index.html", articles=articles, page=number, pages_total=pages_total)


@pages.get("/kb/<article_id>")
def article(article_id: str) -> str:
    found = assistant().kb.get(article_id)
    if found is None:
        abort(404)
    html = render_markdown(current_app.extensions["tier0.markdown"], found.body, found)
    return render_template("article.html", article=found, body=html)


@pages.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with assistant().store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok", articles=assistant().kb.article_count), 200
