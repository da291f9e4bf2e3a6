"""The KB editor's workflow over JSON: `/api/v1/articles...`, with the agent token.

Everything the /admin pages do — list, read drafts, save, submit for review,
publish, history, diffs, revert, preview — a script or another tool can do here
(drafts included, which Zendesk's Help Center API cannot even read). The body of
an article is sent either whole (`markdown`: the file, front matter and all) or
as `fields` (front matter) and `body`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from bot.app import Assistant
from bot.kb.article_list import Listed
from bot.kb.article_text import compose
from bot.kb.articles import CATEGORIES
from bot.kb.editor import (
    STATES,
    WORKFLOW_STEPS,
    ArticleEditor,
    ArticleNotFound,
    EditConflict,
    EditorError,
    Revision,
    WrongState,
)
from bot.kb.lint import Problem
from connectors.web.api import _json_body
from connectors.web.errors import ApiError
from connectors.web.render import render_text

articles_api = Blueprint("articles_api", __name__, url_prefix="/api/v1/articles")
MAX_AUTHOR = 64


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def editor() -> ArticleEditor:
    return current_app.extensions["tier0.editor"]


@articles_api.before_request
def _require_token() -> None:
    """The editor's own token, not the agents' (TIER0_API_TOKEN): publishing changes
    what the bot tells every user."""
    token = assistant().settings.editor_api_token
    if not token:
        raise ApiError(403, "forbidden", "set TIER0_EDITOR_API_TOKEN to use the articles API")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <TIER0_EDITOR_API_TOKEN>")


def _revision_json(revision: Revision, *, text: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": revision.article_id,
        "version": revision.version,
        "state": revision.state,
        "path": revision.path,
        "author": revision.author,
        "note": revision.note,
        "created_at": revision.created_at.isoformat(),
        "updated_at": revision.updated_at.isoformat(),
        "url": f"{assistant().settings.effective_public_url}/kb/{revision.article_id}",
    }
    if text:
        data["markdown"] = revision.text
    return data


def _listed_json(row: Listed) -> dict[str, Any]:
    return {
        "id": row.article_id,
        "title": row.title,
        "category": row.category,
        "state": row.state,
        "published": row.published,
        "guided_fix": row.guided_fix,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        "author": row.author,
    }


def _problem_list(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [{"line": p.line, "message": p.message, "severity": p.severity} for p in problems]


def _problems(text: str, article_id: str | None) -> list[dict[str, Any]]:
    return _problem_list(editor().problems(text, article_id))


def _refusal(error: EditorError) -> tuple[Response, int]:
    if isinstance(error, ArticleNotFound):
        status = 404
    elif isinstance(error, WrongState | EditConflict):
        status = 409
    else:
        status = 422
    body: dict[str, Any] = {"code": error.code, "message": str(error)}
    if error.problems:
        body["problems"] = _problem_list(error.problems)
    return jsonify(error=body), status


def _article_text(body: dict[str, Any]) -> str:
    markdown = body.get("markdown")
    if markdown is not None:
        if not isinstance(markdown, str) or not markdown.strip():
            raise ApiError(400, "invalid_field", "'markdown' must be the article's text")
        return markdown
    fields, text = body.get("fields"), body.get("body")
    if not isinstance(fields, dict) or not isinstance(text, str):
        raise ApiError(
            400, "invalid_body",
            "send 'markdown' (the whole file) or 'fields' (an object) and 'body' (a string)",
        )  # fmt: skip
    return compose(fields, text)


def _author(body: dict[str, Any]) -> str:
    """`api:<name>`: the token names no person, so the history says the name came
    from an API caller and cannot pass for a signed-in user's."""
    author = body.get("author", "")
    if not isinstance(author, str) or len(author) > MAX_AUTHOR - 4:
        raise ApiError(
            400, "invalid_field", f"'author' must be at most {MAX_AUTHOR - 4} characters"
        )
    name = " ".join(author.split())
    return f"api:{name}" if name else "api"


def _base_version(body: dict[str, Any]) -> int | None:
    """`base_version`: the version the caller edited; a newer one makes the save a 409."""
    value = body.get("base_version")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ApiError(400, "invalid_field", "'base_version' must be a version number (0 or more)")
    return value


def _int_arg(name: str, default: int, maximum: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) > maximum:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a whole number up to {maximum}")
    return int(value)


@articles_api.get("")
def list_articles() -> Response:
    state = request.args.get("state")
    category = request.args.get("category")
    if state is not None and state not in STATES:
        raise ApiError(400, "invalid_parameter", f"'state' must be one of {', '.join(STATES)}")
    if category is not None and category not in CATEGORIES:
        raise ApiError(
            400, "invalid_parameter", f"'category' must be one of {', '.join(CATEGORIES)}"
        )
    rows = editor().listing(
        request.args.get("q", "")[:200], state=state, category=category,
        offset=_int_arg("offset", 0, 100_000), limit=_int_arg("limit", 50, 200),
    )  # fmt: skip
    return jsonify(articles=[_listed_json(row) for row in rows])


@articles_api.post("")
def create_article() -> tuple[Response, int]:
    body = _json_body(required=True)
    text = _article_text(body)
    try:
        saved = editor().save_draft(text, _author(body), note=str(body.get("note", ""))[:500])
    except EditorError as error:
        return _refusal(error)
    return jsonify(
        article=_revision_json(saved), problems=_problems(saved.text, saved.article_id)
    ), 201


@articles_api.get("/<article_id>")
def get_article(article_id: str) -> Response | tuple[Response, int]:
    try:
        current = editor().current(article_id)
    except EditorError as error:
        return _refusal(error)
    return jsonify(article=_revision_json(current), problems=_problems(current.text, article_id))


@articles_api.put("/<article_id>")
def save_article(article_id: str) -> Response | tuple[Response, int]:
    body = _json_body(required=True)
    text = _article_text(body)
    try:
        saved = editor().save_draft(
            text,
            _author(body),
            article_id,
            str(body.get("note", ""))[:500],
            base_version=_base_version(body),
        )
    except EditorError as error:
        return _refusal(error)
    return jsonify(article=_revision_json(saved), problems=_problems(saved.text, article_id))


@articles_api.post("/<article_id>/<step>")
def workflow(article_id: str, step: str) -> Response | tuple[Response, int]:
    """`submit` (draft → in_review), `return` (back to draft), `publish`, `archive`."""
    if step not in WORKFLOW_STEPS:
        raise ApiError(
            404, "not_found", f"no such resource; the steps are {', '.join(WORKFLOW_STEPS)}"
        )
    body = _json_body(required=False)
    try:
        revision = editor().step(step, article_id, _author(body))
    except EditorError as error:
        return _refusal(error)
    return jsonify(article=_revision_json(revision, text=False))


@articles_api.get("/<article_id>/versions")
def versions(article_id: str) -> Response | tuple[Response, int]:
    try:
        found = editor().history(article_id)
    except EditorError as error:
        return _refusal(error)
    return jsonify(versions=[_revision_json(v, text=False) for v in found])


@articles_api.get("/<article_id>/versions/<version>")
def version(article_id: str, version: str) -> Response | tuple[Response, int]:
    if not version.isdigit() or len(version) > 9:
        raise ApiError(404, "not_found", f"article {article_id!r} has no version {version!r}")
    try:
        return jsonify(article=_revision_json(editor().revision(article_id, int(version))))
    except EditorError as error:
        return _refusal(error)


@articles_api.get("/<article_id>/diff")
def diff(article_id: str) -> Response | tuple[Response, int]:
    old, new = _int_arg("old", -1, 10**9), _int_arg("new", -1, 10**9)
    if old < 0 or new < 0:
        raise ApiError(400, "invalid_parameter", "give two versions: ?old=N&new=M")
    try:
        return jsonify(diff=editor().diff(article_id, old, new))
    except EditorError as error:
        return _refusal(error)


@articles_api.post("/<article_id>/revert")
def revert(article_id: str) -> Response | tuple[Response, int]:
    body = _json_body(required=True)
    number = body.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ApiError(400, "invalid_field", "'version' must be a version number (1 or more)")
    try:
        restored = editor().revert(article_id, number, _author(body))
    except EditorError as error:
        return _refusal(error)
    return jsonify(article=_revision_json(restored))


@articles_api.post("/preview")
def preview() -> Response:
    """The article as users would see it, and the linter's problems; nothing is saved."""
    body = _json_body(required=True)
    text = _article_text(body)
    article_id = body.get("id") if isinstance(body.get("id"), str) else None
    html = render_text(current_app.extensions["tier0.markdown"], text, article_id)
    return jsonify(html=str(html), problems=_problems(text, article_id))
