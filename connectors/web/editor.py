"""The KB editor at /admin: the article list, editing with a live preview, the
draft → review → publish workflow, version history with diffs, and user accounts.

Views translate forms to `bot.kb.editor.ArticleEditor` calls and back. Messages
after a redirect are chosen by a fixed code in the URL (`?done=published`), never
by text from the URL, so nothing a link carries is shown on the page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from bot.accounts import ROLES, AccountError, add_user, list_users, unlock
from bot.kb.article_text import compose, decompose, recompose, where
from bot.kb.articles import AUDIENCES, CATEGORIES
from bot.kb.editor import (
    MAX_ARTICLE_BYTES,
    STATES,
    TEMPLATE_BODY,
    WORKFLOW_STEPS,
    ArticleEditor,
    ArticleNotFound,
    EditConflict,
    EditorError,
)
from bot.kb.lint import Problem
from connectors.web.auth import assistant, done_messages, require, signed_in_user
from connectors.web.render import render_text

admin = Blueprint("admin", __name__, url_prefix="/admin")
LIST_FIELDS = ("tags", "products", "versions", "related")
PAGE = 100  # articles per page of the list
DONE = {
    "saved": "Draft saved.",
    "submitted": "Sent for review.",
    "returned": "Returned to draft.",
    "published": "Published: the assistant answers with the new text now.",
    "archived": "Archived: the assistant no longer answers with it (restore a version to undo).",
    "reverted": "An earlier version was restored as a new draft; review and publish it.",
    "user_added": "User added.",
    "unlocked": "Account unlocked: it may sign in again now.",
}


def editor() -> ArticleEditor:
    return current_app.extensions["tier0.editor"]


# -- forms <-> article text -----------------------------------------------------------


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


def text_from_form(form: Any, original: str | None = None) -> str:
    """The article file the form describes; fields the form does not show come from
    `original` (the version being edited), so editing never drops them, and its front
    matter is kept as written while the fields are unchanged."""
    base, _ = decompose(original) if original is not None else ({}, "")
    fields: dict[str, Any] = dict(base)
    for name in ("title", "id", "category", "audience", "summary"):
        if name in form:
            fields[name] = form.get(name, "").strip() or None
    for name in LIST_FIELDS:
        if name in form:
            fields[name] = _split(form.get(name, ""))
    if "questions" in form:
        fields["questions"] = [
            q.strip() for q in form.get("questions", "").splitlines() if q.strip()
        ]
    if original is not None:
        return recompose(original, fields, form.get("body", ""))
    return compose(fields, form.get("body", ""))


def form_from_text(text: str) -> dict[str, Any]:
    meta, body = decompose(text)

    def joined(name: str, separator: str) -> str:
        value = meta.get(name) or []
        return separator.join(map(str, value)) if isinstance(value, list) else str(value)

    form = {
        name: str(meta.get(name) or "")
        for name in ("title", "id", "category", "audience", "summary")
    }
    form.update({name: joined(name, ", ") for name in LIST_FIELDS})
    form["questions"] = joined("questions", "\n")
    form["body"] = body
    return form


def _problem_json(problem: Problem, text: str) -> dict[str, Any]:
    return {
        "line": problem.line,
        "where": where(text, problem.line),
        "message": problem.message,
        "severity": problem.severity,
    }


# -- the article list -----------------------------------------------------------------


@admin.get("")
@admin.get("/")
@require("articles")
def index() -> Response:
    return redirect(url_for("admin.articles"))


@admin.get("/articles")
@require("articles")
def articles() -> str:
    query = request.args.get("q", "").strip()[:200]
    state = request.args.get("state") or None
    category = request.args.get("category") or None
    state = state if state in STATES else None
    category = category if category in CATEGORIES else None
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) <= 1000 else 1
    rows = editor().listing(
        query, state=state, category=category, offset=(page - 1) * PAGE, limit=PAGE + 1
    )
    return render_template(
        "admin/articles.html",
        page=page,
        more=len(rows) > PAGE,
        rows=rows[:PAGE],
        q=query,
        state=state,
        category=category,
        categories=CATEGORIES,
        messages=done_messages(DONE),
    )


# -- editing --------------------------------------------------------------------------


def _edit_page(
    article_id: str | None,
    form: dict[str, Any],
    revision: Any,
    problems: list[Problem],
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    preview_text = text_from_form(form) if form.get("body") is not None else ""
    checked = revision.text if revision is not None else preview_text
    page = render_template(
        "admin/edit.html",
        live=article_id is not None and assistant().kb.get(article_id) is not None,
        where=lambda problem: where(checked, problem.line),
        article_id=article_id,
        form=form,
        revision=revision,
        problems=problems,
        error=error,
        categories=CATEGORIES,
        audiences=AUDIENCES,
        preview=_preview_html(preview_text, article_id),
        messages=[] if error else done_messages(DONE),
    )
    return page, status


@admin.route("/articles/new", methods=["GET", "POST"])
@require("articles")
def new_article() -> Response | tuple[str, int]:
    if request.method == "GET":
        # "Create article from this" on /admin/insights: the unanswered question(s).
        questions = [q.strip()[:300] for q in request.args.getlist("question") if q.strip()][:10]
        blank = {
            "title": questions[0].rstrip("?").capitalize() if questions else "",
            "category": "howto",
            "questions": "\n".join(questions),
            "body": TEMPLATE_BODY + "\n",
        }
        return _edit_page(None, blank, None, [])
    text = text_from_form(request.form)
    try:
        saved = editor().save_draft(text, signed_in_user().username)
    except EditorError as error:
        return _edit_page(None, dict(request.form), None, [], 422, str(error))
    return redirect(url_for("admin.edit_article", article_id=saved.article_id, done="saved"))


@admin.route("/articles/<article_id>", methods=["GET", "POST"])
@require("articles")
def edit_article(article_id: str) -> Response | tuple[str, int]:
    try:
        current = editor().current(article_id)
    except EditorError:
        abort(404)
    if request.method == "GET":
        return _edit_page(
            article_id,
            form_from_text(current.text),
            current,
            editor().problems(current.text, article_id),
        )
    text = text_from_form(request.form, current.text)
    try:
        seen = request.form.get("base_version", "")
        editor().save_draft(
            text,
            signed_in_user().username,
            article_id,
            note=request.form.get("note", ""),
            base_version=int(seen) if seen.isdigit() else None,
        )
    except EditConflict as conflict:
        newest = editor().current(article_id)  # the form now builds on the newest version
        return _edit_page(article_id, dict(request.form), newest, [], 409, str(conflict))
    except EditorError as error:
        return _edit_page(article_id, dict(request.form), current, [], 422, str(error))
    return redirect(url_for("admin.edit_article", article_id=article_id, done="saved"))


STEP_DONE = {
    "submit": "submitted",
    "return": "returned",
    "publish": "published",
    "archive": "archived",
}


@admin.post("/articles/<article_id>/<step>")
@require("articles")
def workflow(article_id: str, step: str) -> Response | tuple[str, int]:
    """Submit for review, return to draft, or publish (`WORKFLOW_STEPS`)."""
    if step not in WORKFLOW_STEPS:
        abort(404)
    try:
        editor().step(step, article_id, signed_in_user().username)
    except ArticleNotFound:
        abort(404)
    except EditorError as error:
        current = editor().current(article_id)
        problems = list(error.problems) or editor().problems(current.text, article_id)
        return _edit_page(
            article_id, form_from_text(current.text), current, problems, 409, str(error)
        )
    return redirect(url_for("admin.edit_article", article_id=article_id, done=STEP_DONE[step]))


# -- history --------------------------------------------------------------------------


@admin.get("/articles/<article_id>/history")
@require("articles")
def history(article_id: str) -> str:
    try:
        versions = editor().history(article_id)
    except EditorError:
        abort(404)
    return render_template(
        "admin/history.html", article_id=article_id, versions=versions, messages=done_messages(DONE)
    )


@admin.get("/articles/<article_id>/diff")
@require("articles")
def diff(article_id: str) -> str:
    old, new = request.args.get("old", ""), request.args.get("new", "")
    if not (old.isdigit() and new.isdigit()):
        abort(400, "give two versions: ?old=N&new=M")
    try:
        lines = editor().diff(article_id, int(old), int(new))
    except EditorError:
        abort(404)
    return render_template(
        "admin/diff.html", article_id=article_id, old=int(old), new=int(new), lines=lines
    )


@admin.post("/articles/<article_id>/revert")
@require("articles")
def revert(article_id: str) -> Response:
    version = request.form.get("version", "")
    if not version.isdigit():
        abort(400, "say which version to restore")
    try:
        editor().revert(article_id, int(version), signed_in_user().username)
    except EditorError:
        abort(404)
    return redirect(url_for("admin.edit_article", article_id=article_id, done="reverted"))


# -- live preview ---------------------------------------------------------------------


def _preview_html(text: str, article_id: str | None) -> Markup:
    return render_text(current_app.extensions["tier0.markdown"], text, article_id)


@admin.post("/preview")
@require("articles")
def preview() -> Response:
    """The form as users will see it, and what the linter says: the editor's page
    calls this as the author types."""
    article_id = request.form.get("article_id") or None
    original = None
    if article_id:
        try:
            original = editor().current(article_id).text
        except EditorError:
            article_id = None
    text = text_from_form(request.form, original)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ARTICLE_BYTES:
        abort(413, f"an article must be at most {MAX_ARTICLE_BYTES} bytes")
    problems = editor().problems(text, article_id)
    title = request.form.get("title", "").strip()
    return jsonify(
        title=title,
        html=str(_preview_html(text, article_id)),
        problems=[_problem_json(p, text) for p in problems],
    )


# -- users (admins only) --------------------------------------------------------------


@admin.route("/users", methods=["GET", "POST"])
@require("users")
def users() -> tuple[str, int]:
    error, status = None, 200
    if request.method == "POST":
        try:
            with assistant().store.transaction() as tx:
                add_user(
                    tx.session,
                    request.form.get("username", ""),
                    request.form.get("password", ""),
                    request.form.get("role", ""),
                    request.form.get("display_name", ""),
                )
        except AccountError as failure:
            error, status = str(failure), 422
        else:
            return redirect(url_for("admin.users", done="user_added"))  # type: ignore[return-value]
    with assistant().store.transaction() as tx:
        accounts = list_users(tx.session)
    page = render_template(
        "admin/users.html",
        accounts=accounts,
        roles=ROLES,
        error=error,
        messages=done_messages(DONE),
    )
    return page, status


@admin.post("/users/<username>/unlock")
@require("users")
def unlock_user(username: str) -> Response:
    try:
        with assistant().store.transaction() as tx:
            unlock(tx.session, username)
    except AccountError:
        abort(404)
    return redirect(url_for("admin.users", done="unlocked"))
