"""The embeddable chat widget: its script and styles, the demo page, and CORS.

A site owner adds `<script src="https://tier0.example.com/widget.js" async>`; the
script talks to the HTTP API v1 from the site's origin, so the conversation endpoints
answer cross-origin requests, and only from the origins in TIER0_WIDGET_ORIGINS (the
agent endpoints never do). Everything is served from the package: no CDN.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

widget = Blueprint("widget", __name__)

# The API endpoints a widget on another site may call, by Flask endpoint name.
WIDGET_ENDPOINTS = frozenset(
    {"api_v1.create_conversation", "api_v1.post_message", "api_v1.get_conversation"}
)
MAX_AGE = 600  # seconds browsers may cache a preflight answer


def _static(filename: str, mimetype: str) -> Response:
    response = send_from_directory(current_app.static_folder or "static", filename)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@widget.get("/widget.js")
def widget_js() -> Response:
    return _static("widget.js", "text/javascript")


@widget.get("/widget.css")
def widget_css() -> Response:
    return _static("widget.css", "text/css")


@widget.get("/demo")
def demo() -> str:
    """A page that embeds the widget exactly as a customer's site would."""
    return render_template("demo.html")


def allow_widget_origins(response: Response) -> Response:
    """CORS headers for an allowed origin on the widget's endpoints; none otherwise,
    so the browser refuses the response to any other site."""
    origin = request.headers.get("Origin")
    allowed = current_app.extensions["tier0"].settings.widget_origins
    if origin and origin in allowed and request.endpoint in WIDGET_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE)
    response.headers.add("Vary", "Origin")
    return response
