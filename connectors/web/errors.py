"""One JSON error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

No stack trace ever leaves the server; unexpected errors are logged with their
traceback and answered with a bare 500. A browser asking for a KB page that does not
exist gets a small HTML page instead; everything under /api/ is always JSON.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _http_code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_").replace("'", "")


def _wants_html_page() -> bool:
    """A browser on a page route (not the API, not a client that asked for JSON)."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        messages = {
            404: "no such resource",
            405: "method not allowed for this resource",
            413: "request body too large",
        }
        message = messages.get(status, error.description or error.name)
        if _wants_html_page():
            page = render_template(
                "error.html", status=status, heading=error.name, message=message.capitalize()
            )
            return Response(page, status=status, mimetype="text/html"), status
        return error_response(status, _http_code(error), message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error while serving a request")
        return error_response(500, "internal_error", "internal error; the server log has details")
