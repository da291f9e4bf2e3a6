"""Sign-in for the web UIs (`/admin`, `/agent`): session cookies, CSRF, roles.

The session cookie is HttpOnly and SameSite=Lax, and Secure unless the browser
reached us over plain HTTP on a loopback address (a developer's machine): a
deployment behind TLS never sends it in the clear. Every form carries the
session's CSRF token (or, before sign-in, a double-submit token from its own
cookie); a POST without the right one is refused before any view runs.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from bot.accounts import ActiveSession, User, end_session, resume_session, sign_in
from bot.app import Assistant
from bot.store.models import utcnow

auth = Blueprint("auth", __name__)
SESSION_COOKIE = "tier0_session"
LOGIN_CSRF_COOKIE = "tier0_login_csrf"
# Blueprints whose unsafe requests need a CSRF token (the API uses bearer tokens).
PROTECTED = frozenset({"auth", "admin", "agent", "insights"})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
View = TypeVar("View", bound=Callable[..., Any])


def assistant() -> Assistant:
    return current_app.extensions["tier0"]


def current() -> ActiveSession | None:
    """The signed-in session of this request, looked up once."""
    if "tier0_session" not in g:
        token = request.cookies.get(SESSION_COOKIE, "")
        found = None
        if token:
            with assistant().store.transaction() as tx:
                found = resume_session(tx.session, token, utcnow())
        g.tier0_session = found
    return g.tier0_session


def current_user() -> User | None:
    session = current()
    return session.user if session is not None else None


def signed_in_user() -> User:
    """The user of a view behind `require`, who is signed in by then."""
    user = current_user()
    if user is None:  # a view called without `require`: a programming error
        abort(401)
    return user


def done_messages(texts: dict[str, str]) -> list[tuple[str, str]]:
    """The message after a redirect, chosen by a fixed code (`?done=saved`): nothing
    from the URL itself is ever shown on the page."""
    done = texts.get(request.args.get("done", ""))
    return [("ok", done)] if done else []


def csrf_token() -> str:
    """The token forms must send back: the session's, or the sign-in form's own."""
    session = current()
    if session is not None:
        return session.csrf_token
    if "login_csrf" not in g:
        g.login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return str(g.login_csrf)


def require(permission: str) -> Callable[[View], View]:
    """Only for a signed-in user whose role has `permission`: others are sent to sign
    in, or get 403 when they are signed in as a role without it."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.may(permission):
                abort(403, f"your role ({user.role}) may not open this page")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _check_csrf() -> None:
    if request.method not in UNSAFE or request.blueprint not in PROTECTED:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    session = current()
    expected = session.csrf_token if session is not None else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "the form's security token is missing or out of date; reload and try again")


def _secure_cookies() -> bool:
    """Secure, unless every sign says a developer's machine: plain HTTP, no https
    public URL, no proxy saying it terminated TLS, and a loopback host."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    if request.is_secure or forwarded == "https":
        return True
    if assistant().settings.effective_public_url.startswith("https:"):
        return True
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def _set_login_csrf(response: Response) -> Response:
    if current() is None and "login_csrf" in g:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            g.login_csrf,
            httponly=True,
            samesite="Strict",
            secure=_secure_cookies(),
            path="/admin/login",
            max_age=3600,
        )
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else ""


def home_of(user: User) -> str:
    if user.may("articles"):
        return url_for("admin.articles")
    return url_for("agent.queues")


@auth.route("/admin/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "GET":
        user = current_user()
        if user is not None:
            return redirect(_safe_next(request.args.get("next")) or home_of(user))
        return render_template("admin/login.html", error=None, next=request.args.get("next", ""))
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:1024]
    result = sign_in(assistant().store, username, password, utcnow())
    if result.user is None or result.token is None:
        page = render_template(
            "admin/login.html",
            error=result.error,
            next=request.form.get("next", ""),
            username=username,
        )
        return Response(page, status=401)
    response = redirect(_safe_next(request.form.get("next")) or home_of(result.user))
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="Lax",
        secure=_secure_cookies(),
        path="/",
        max_age=7 * 24 * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


@auth.post("/admin/logout")
def logout() -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with assistant().store.transaction() as tx:
            end_session(tx.session, token)
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def init_auth(app: Flask) -> None:
    app.register_blueprint(auth)
    app.before_request(_check_csrf)
    app.after_request(_set_login_csrf)

    @app.context_processor
    def _auth_context() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "current_user": current_user}
