"""One JSON error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

No HTML error page and no stack trace ever leaves the API; unexpected errors are
logged with their traceback on the server and answered with a bare 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
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
        return error_response(status, _http_code(error), message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error while serving a request")
        return error_response(500, "internal_error", "internal error; the server log has details")
