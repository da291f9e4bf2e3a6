"""The Flask app from one factory: HTTP API v1, the KB pages, the widget, the KB
editor (/admin), insights, the agent console (/agent), health, and Slack's
/slack/events and Teams' /api/messages when they are configured."""

from __future__ import annotations

from flask import Flask, Response, request

from bot.app import Assistant, build_assistant, ensure_index
from bot.kb.editor import ArticleEditor
from bot.settings import Settings, load_settings
from connectors.helpdesks import build_ticket_system
from connectors.web.api import api
from connectors.web.articles_api import articles_api
from connectors.web.auth import PROTECTED, init_auth
from connectors.web.console import agent
from connectors.web.editor import admin
from connectors.web.errors import register_error_handlers
from connectors.web.insights_page import insights
from connectors.web.pages import make_markdown, pages
from connectors.web.widget import allow_widget_origins, widget

MAX_BODY_BYTES = 256 * 1024

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> Flask:
    """Build the WSGI app; `assistant` may be passed in by tests or the CLI."""
    settings = settings or (assistant.settings if assistant else load_settings())
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)
    # An app that builds its own assistant is a server: it follows edits to the KB.
    app.extensions["tier0"] = assistant or build_assistant(
        settings, watch=True, ticket_system=build_ticket_system(settings)
    )
    app.extensions["tier0.markdown"] = make_markdown()
    app.extensions["tier0.editor"] = _article_editor(app.extensions["tier0"])
    app.register_blueprint(api)
    app.register_blueprint(articles_api)
    app.register_blueprint(pages)
    app.register_blueprint(widget)
    init_auth(app)
    for blueprint in (admin, insights, agent):
        app.register_blueprint(blueprint)
    if settings.slack_enabled:
        from connectors.slack import init_slack  # slack-bolt loads only when it is used

        init_slack(app, app.extensions["tier0"])
    if settings.teams_app_id:
        from connectors.teams import init_teams  # POST /api/messages

        init_teams(app, settings)
    app.after_request(allow_widget_origins)
    register_error_handlers(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if request.blueprint in PROTECTED:  # signed-in pages stay out of shared caches
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _article_editor(assistant: Assistant) -> ArticleEditor:
    """Publishing updates this process's index at once (the other servers' watchers
    see the file); the new article is embedded there and then, a few milliseconds."""
    settings = assistant.settings

    def update_index(paths: list[str]) -> object:
        return ensure_index(settings, paths=paths)

    return ArticleEditor(assistant.store, assistant.kb, settings.kb_dir, update_index)
