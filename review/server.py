"""The review web app: FastAPI routes over review/actions.py, Jinja2 templates (autoescaped).

Safety: reviewers sign in (argon2 hashes) unless the server only listens on this machine and
login is turned off; every form carries a per-session CSRF token; every page is served with a
strict Content-Security-Policy (no inline script); transcripts are read by id from the study
database, and no endpoint takes a file path.
"""

from __future__ import annotations

import getpass
import hmac
import ipaddress
import logging
import os
import re
import secrets
import ssl
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from qualflow.flows.bug_account import ACCOUNTS_FOLDER, what_and_where, write_account
from qualflow.models import Reviewer, Store, Theme, Transcript
from qualflow.models.former_codes import merged_line
from qualflow.models.queries import (
    LIVE_STATUSES,
    current_theme_set,
    current_themes,
    memos_on,
    theme_by_code,
    theme_decisions,
)
from qualflow.models.store import (
    driver_error,
    is_lock_error,
    is_read_only_database,
    study_database_url,
)
from qualflow.pipeline.report import export_names
from qualflow.review import actions
from qualflow.review.accounts import check_password, has_reviewers
from qualflow.review.actions import CONTROL_CHARACTERS, ConflictError, ReviewError
from qualflow.review.pages import (
    PAGE_SIZE,
    Filters,
    choices,
    lang_of,
    option_lang,
    search_statements,
    theme_list,
    theme_statements,
    transcript_turns,
    zh_runs,
)
from qualflow.review.split_suggestion import suggest_split
from qualflow.review.throttle import LoginThrottle
from qualflow.review.undo import last_undoable, undo
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError, OperationalError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Only when this server holds the certificate (--tls-cert): behind a lab's HTTPS proxy, the proxy decides.
# No includeSubDomains: the tool does not own the domain it is served under.
HSTS = "max-age=31536000"
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
# Numbers from a request are clamped into a 64-bit integer, the database's range: a bigger one
# would make the driver raise OverflowError (a 500), while the largest id names no row (a 404 or
# an empty list) and the largest page is just past the last one.
MAX_ID = 2**63 - 1
# In a path the app links or redirects back to: C0 and C1 control characters (tab, CR and LF among them) and
# the backslash. Characters a URL may hold as they are (RFC 3986's reserved ones, and % of an encoded one).
NOT_IN_LOCAL_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
# A link back to the page a form came from, named as that page (by its path); any other: BACK_TO_ANOTHER_PAGE.
BACK_LINK_TEXTS = ((re.compile(r"/"), "Back to the theme list"),
                   (re.compile(r"/themes/[^/]+"), "Reload the theme"),
                   (re.compile(r"/themes/[^/]+/audit"), "Back to the decision history"),
                   (re.compile(r"/search"), "Back to the search"),
                   (re.compile(r"/transcripts/[^/]+"), "Back to the transcript"))
BACK_TO_ANOTHER_PAGE = "Back to the page you came from"
MAX_PAGE = MAX_ID // PAGE_SIZE
BUSY = "The study database is busy (a batch run may be storing its results)."
# Rendered without touching the store (base.html's undo button would read it), from base.html's layout.
STORE_ERROR_PAGE = """{% extends "base.html" %}{% block main %}<h1>{{ title }}</h1>
<p class="flash error" role="alert">{{ message }}</p><p><a href="/">Back to the themes</a></p>{% endblock %}"""


# Why a decision was refused, in the store's own terms: SQLite's file and folder, or PostgreSQL's role.
READ_ONLY_MESSAGES = {
    "sqlite": "This copy of the study is read-only (its database file or folder cannot be written): nothing was "
              "saved. Pages can be read; to decide, the study must be served from a writable copy.",
    "postgresql": "This study is read-only here (the PostgreSQL role the server signs in as has no right to write "
                  "to the study's database, or the database server only allows reading): nothing was saved. Pages "
                  "can be read; to decide, the study must be served with a role that may write.",
}

# argon2 checks a password with 64 MiB and a core for a good part of a second, on purpose: a few at once,
# each in a worker thread of its own. More would only queue for the CPU while holding their memory (a
# flood of sign-ins could take gigabytes), and would take the worker threads the pages are served from.
PASSWORD_CHECKS_AT_ONCE = 2

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]
WILDCARD_BINDS = ("0.0.0.0", "::", "")
# What each action needs from the form, so a missing or malformed field is a 400, not int(None).
NEEDS = {"accept": ("theme",), "reject": ("theme",), "rename": ("theme",), "merge": ("theme", "target"),
         "split": ("theme",), "parent": ("theme",), "move": ("statement_id", "target"),
         "confirm": ("statement_id",), "take-out": ("statement_id",), "not-significant": ("statement_id",),
         "significant": ("statement_id",), "place": ("statement_id", "target"), "undo": ("decision",)}
# The fields a reviewer types into, as the "not saved" pages name them.
TYPED_FIELDS = {"label": "Name", "description": "Description", "text": "Memo"}
CSRF_REFUSAL = "This form has expired or did not come from this site (CSRF check). Reload the page."
FOREIGN_FORM = ("A page on another site sent a form to the review app (CSRF check). Nothing was saved, and what the "
                "form held is not shown here. If you did not mean to send anything, close that other page.")
FIELD_NAMES = {"theme": "the theme", "target": "the theme to move or merge into", "statement_id": "the statement",
               "decision": "the decision to undo (reload the page: its Undo button names one)"}
# Error pages: a short title and one plain sentence. A detail the app wrote ("No such theme.") is
# shown as it is; Starlette's bare status phrases ("Not Found") are replaced by these.
ERROR_TITLES = {400: "Not understood", 403: "Refused", 404: "Not found", 405: "Not allowed", 422: "Not understood"}
# The form a request sent, kept in its scope: the page for an unexpected error shows what was typed in it.
FORM_SENT = "qualflow.form"
# If the page for an unexpected error cannot be rendered either: no template, no store, no session.
PLAIN_UNEXPECTED_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Unexpected error · qualflow review</title></head><body><h1>qualflow hit an unexpected error</h1>
<p>What you were doing may not have been saved. The person running <code>qualflow review serve</code> can find
the details in the study's data folder, under <code>""" + ACCOUNTS_FOLDER + """</code>.</p>
<p><a href="/">Back to the themes</a></p></body></html>"""
ERROR_MESSAGES = {404: "There is no such page here.",
                  405: "This address cannot be used that way: follow a link or a button instead.",
                  422: "The address or form was not understood: a number in it may be mistyped."}


class UnsafeBind(ValueError):
    pass


class BadForm(ValueError):
    """A form with a missing or malformed field: a 400 page saying which."""


class UnexpectedErrorPage:
    """A bug (an exception no handler foresaw) while answering a request: its traceback to an owner-only
    file in the data folder (flows/bug_account.py), one line without the error's message in the server's
    log, and `page(request)` for the reviewer. Starlette would log the traceback, which can quote interview
    text, to the terminal of `qualflow review serve`, and answer a bare "Internal Server Error". An app
    made with FastAPI's `debug` keeps Starlette's traceback page."""

    def __init__(self, app, data_dir: Path, page: Callable[[Request], Response]):
        self.app, self.data_dir, self.page = app, data_dir, page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if getattr(scope.get("app"), "debug", False):
                raise
            self._account(scope, error)
            if started:  # part of a response is out: nothing more can be said, and the server closes it
                return
            request = Request(scope, receive)
            try:
                response = self.page(request)
            except Exception as page_error:  # a bug in that page too: its own account, and a plain page
                self._account(scope, page_error)
                response = HTMLResponse(PLAIN_UNEXPECTED_ERROR_PAGE, status_code=500)
            await response(scope, receive, send)

    def _account(self, scope, error: Exception) -> None:
        # The route's pattern, not the path: no text from the address (a search, a theme code) in the log.
        route = getattr(scope.get("route"), "path", None) or "(no route)"
        request = f"{scope.get('method', '')} {route}"
        account = write_account(error, self.data_dir, [f"request: {request}"])
        told = ("the reviewer was told it may not have been saved" if scope.get("method") == "POST"
                else "the reviewer was shown an error page")
        if isinstance(account, Path):
            saved = f"The full account is in {account} — it may quote interview text, so read it before sharing it."
        else:
            saved = f"Its full account could not be written ({account})."
        log.error("qualflow review hit an unexpected error (%s) answering %s; %s. %s", what_and_where(error),
                  request, told, saved)


def allowed_hosts(host: str, login: bool) -> list[str]:
    """The Host names the app answers to. Without this a web page elsewhere could rename itself to
    127.0.0.1 (DNS rebinding) and drive a --no-login server from the reviewer's own browser."""
    if login and host in WILDCARD_BINDS:
        # Listening on every address: reviewers reach it by names the server cannot know. Sign-in
        # guards it, and a rebinding page has no session cookie for that name.
        return ["*"]
    names = list(LOOPBACK_NAMES)
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal comes bracketed in the Host header
    return names if name.lower() in names else [*names, name.lower()]


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_bind(host: str, login: bool) -> None:
    """Without login, only this machine may connect: refuse any address but loopback."""
    if login:
        return
    if not is_loopback(host):
        raise UnsafeBind(f"refusing to listen on {host} without login: anyone who can reach it could change the "
                         "codebook. Add reviewers (`qualflow review add-reviewer NAME`) and serve with login, "
                         "or listen on 127.0.0.1")


def check_tls(cert: Path | None, key: Path | None) -> None:
    """Both files or neither, and they must load: a wrong file is one line now, not uvicorn's traceback."""
    if (cert is None) != (key is None):
        raise ReviewError("HTTPS needs both --tls-cert and --tls-key (a PEM certificate and its private key)")
    problem = _tls_problem(cert, key) if cert is not None else None
    if problem:
        raise ReviewError(f"cannot use {cert} and {key} for HTTPS: {problem}")


def _tls_problem(cert: Path, key: Path) -> str | None:
    """What is wrong with the certificate and key, in words (OpenSSL's own are "[SSL] PEM lib")."""
    try:
        # The empty passphrase: an encrypted key fails here rather than prompting on the terminal.
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            return "the key is not this certificate's"
        return "they must be a PEM certificate and its PEM private key, without a passphrase"
    except OSError as error:
        return error.strerror or str(error)  # no such file, permission denied
    return None


def clear_text_warning(host: str, tls: bool) -> str | None:
    """One line for whoever starts a server that reviewers sign in to across the network without TLS.
    Not a refusal: a lab may put its own HTTPS proxy in front."""
    if tls or is_loopback(host):
        return None
    return (f"warning: without TLS, reviewers' passwords and session cookies cross the network to {host} in clear "
            "text; serve with --tls-cert FILE --tls-key FILE, put an HTTPS proxy in front, or listen on 127.0.0.1 "
            "and have reviewers use an SSH tunnel (ssh -L 8765:127.0.0.1:8765 THIS-SERVER)")


class SecureCookiesOverHttps:
    """Mark cookies Secure on a request that came over HTTPS, so a browser never sends the session
    cookie over plain HTTP. HTTPS is what uvicorn says the scheme is: served with --tls-cert, or an
    X-Forwarded-Proto from a proxy named in FORWARDED_ALLOW_IPS (see serve).
    Over plain HTTP a Secure cookie would be dropped by the browser, and nobody could sign in."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_secure(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if cookies:
                    del headers["set-cookie"]
                    for cookie in cookies:
                        headers.append("set-cookie", cookie if "; secure" in cookie.lower() else cookie + "; secure")
            await send(message)

        await self.app(scope, receive, send_secure)


class ForeignHostPage:
    """Starlette's TrustedHostMiddleware decides which Host names are answered (see allowed_hosts); it
    refuses the others in plain text, and this answers them with the app's own HTML error page instead.
    The page does not repeat the name that was refused."""

    def __init__(self, app, allowed_hosts: list[str], refusal: Callable[[], Response]):
        self.check = TrustedHostMiddleware(self._host_allowed, allowed_hosts=allowed_hosts, www_redirect=False)
        self.app, self.refusal = app, refusal

    async def _host_allowed(self, scope, receive, send):
        scope["qualflow.host_allowed"] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope, receive, send):
        async def send_or_refuse(message):
            if scope.get("qualflow.host_allowed"):
                await send(message)
            elif message["type"] == "http.response.start":  # the check's plain-text refusal begins
                await self.refusal()(scope, receive, send)

        await self.check(scope, receive, send_or_refuse)


def create_app(data_dir: Path, login: bool = True, host: str = "127.0.0.1", tls: bool = False) -> FastAPI:
    """The review app; `tls`: served over HTTPS by this process itself (--tls-cert), so it sends HSTS."""
    store = Store(study_database_url(Path(data_dir)))
    # An archived or shared copy can still be read; every page says so, before anyone tries to decide.
    read_only = store.cannot_write()
    if login:
        with store.session() as session:
            if not has_reviewers(session):
                raise ReviewError("no reviewer accounts yet: add one with `qualflow review add-reviewer NAME`")
    app = FastAPI(title="qualflow review", docs_url=None, redoc_url=None, openapi_url=None)
    # Added first, so innermost of the middleware: inside the session (the page knows who is signed in)
    # and the security headers, around FastAPI's handlers for the errors the app foresees (HTTPException,
    # the store's). A lambda: the page is made further down, with the other pages.
    app.add_middleware(UnexpectedErrorPage, data_dir=Path(data_dir), page=lambda request: unexpected_error(request))
    # A new secret each start: sessions end when the server stops, and nothing secret is stored.
    # Lax, not Strict: a link to the app from a chat or an e-mail page must arrive signed in. With
    # Strict it came without the cookie, and the sign-in page's new cookie signed the reviewer out in
    # every tab. Lax still keeps the cookie off other sites' POSTs; forms are guarded by the CSRF
    # token and the Origin check (form_of), not by the cookie's SameSite.
    app.add_middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32), session_cookie="qualflow_review",
                       same_site="lax", max_age=12 * 3600)
    app.add_middleware(SecureCookiesOverHttps)  # outside the session middleware: it sees its cookie
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")  # .html templates are autoescaped
    templates.env.filters["lang"] = lang_of  # ' lang="zh"' on Chinese text, for screen readers and fonts
    templates.env.filters["zh_runs"] = zh_runs  # in mixed text, each Chinese run in <span lang="zh">
    templates.env.filters["option_lang"] = option_lang  # a menu option holding any Chinese
    # Rendered once, without the session or the store: the request has not reached them.
    foreign_host_html = templates.get_template("error.html").render(
        title=ERROR_TITLES[400], message="This server does not answer to the name in the address you used. "
        "Use the address you were given for the review server.", login=login)
    # Added after the session middleware, so it runs before it: a foreign Host is refused before sessions.
    app.add_middleware(ForeignHostPage, allowed_hosts=allowed_hosts(host, login),
                       refusal=lambda: HTMLResponse(foreign_host_html, status_code=400))
    local_name = f"{getpass.getuser()} (local)"

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if tls:  # uvicorn answers nothing but HTTPS on this port then
            response.headers["Strict-Transport-Security"] = HSTS
        if request.url.path == "/report":
            # The study report is one self-contained file: inline styles and data: images, no scripts.
            response.headers["Content-Security-Policy"] = REPORT_POLICY
        return response

    def who(request: Request) -> str | None:
        if not login:
            return local_name
        name = request.session.get("reviewer")
        if name is None:
            return None
        with store.session() as session:
            current = session.scalar(select(Reviewer.session_generation).where(Reviewer.name == name))
        if current is None or request.session.get("generation") != current:
            request.session.clear()  # signed out (or removed) since this cookie was issued
            return None
        return name

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def sent_form(request: Request):
        form = await request.form()
        request.scope[FORM_SENT] = form  # for the page of an unexpected error, if one comes
        return form

    async def form_of(request: Request) -> dict:
        form = await sent_form(request)
        sent, kept = str(form.get("csrf", "")), request.session.get("csrf", "")
        if not kept or not hmac.compare_digest(sent, kept) or _foreign_origin(request):
            raise HTTPException(403, CSRF_REFUSAL)
        return {key: form.getlist(key) if key in ("statement", "source") else form.get(key) for key in form}

    def not_saved(request: Request, form, status: int, title: str, message: str) -> HTMLResponse:
        """A form that was not saved (signed out, or its token expired): say so, keep what the reviewer
        typed in view to copy, and link back to the page the form came from (never to a POST address).
        A form another site sent gets neither: its text would be the other site's words on this app's
        page, under "What you typed"."""
        if not _sent_from_this_app(request):
            return page(request, "not_saved.html", status_code=403, title="Not saved: the form came from another site",
                        message=FOREIGN_FORM, back="/", typed=[], foreign=True)
        theme = _int(form.get("theme"))
        back_to = _local_path(str(form.get("back") or (f"/themes/{theme}" if theme else "/")))
        return page(request, "not_saved.html", status_code=status, title=title, message=message, back=back_to,
                    typed=typed_fields(form), sign_in="/login?" + urlencode({"next": back_to}))

    def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        with store.session() as session:
            last = last_undoable(session)
            undoable = f"#{last.id} {last.reviewer}: {last.summary}" if last else None
            current = current_theme_set(session)
            # A file is often named after the person interviewed: pages show its name as exports do.
            file_name = export_names(session)
        context.update(file_name=file_name, reviewer=who(request), csrf=csrf_token(request), login=login, undoable=undoable,
                       here=_here(request),
                       read_only=read_only,
                       undo_id=last.id if last else None, current_set_id=current.id if current else None,
                       flash=request.session.pop("flash", None))
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @app.exception_handler(DatabaseError)  # OperationalError is one; so is a file that is not a database
    def store_failed(request: Request, error: DatabaseError) -> HTMLResponse:
        """A page the store could not serve. A lock passes (503, try again); anything else will not, and
        only the server's log says what it was: the page is seen by reviewers, not by who runs the server.
        A study file that is not (or no longer) a SQLite database ("file is not a database", "database
        disk image is malformed") comes as DatabaseError: the same page, and the file is left as it is."""
        if is_lock_error(error):
            title, message, status = "Busy", f"{BUSY} Try again in a moment.", 503
        elif is_read_only_database(error):  # nothing the server's log would add: say it here
            title, message, status = "This study is read-only", READ_ONLY_MESSAGES[store.dialect], 403
        else:
            # The driver's error, not SQLAlchemy's: that quotes the statement (the parameters are hidden anyway).
            log.error("the study database failed on %s %s: %s: %s", request.method, request.url.path,
                      *driver_error(error))
            title = "The study could not be read or written"
            message = ("The study database could not be read or written; nothing was saved. "
                       "Ask the administrator to check the review server's log.")
            status = 503 if error.connection_invalidated else 500  # a lost connection may come back
        html = templates.env.from_string(STORE_ERROR_PAGE).render(
            # Not who(): that reads the store, which just failed. The page shows a name and an error only.
            title=title, message=message, reviewer=request.session.get("reviewer") if login else local_name,
            csrf=csrf_token(request), login=login, read_only=None,  # its message says so already
            undoable=None, undo_id=None, flash=None)
        return HTMLResponse(html, status_code=status, headers={"Retry-After": "5"} if status == 503 else None)

    def unexpected_error(request: Request) -> HTMLResponse:
        """The reviewer's page for a bug (UnexpectedErrorPage): what may not have been saved, what they typed
        (to copy), and who can read the details. Never the traceback or the file's path: a reviewer may be
        anyone the server lets sign in. Rendered without the store, as a failing store may be the bug."""
        form = request.scope.get(FORM_SENT) or {}
        theme = _int(form.get("theme"))
        html = templates.get_template("unexpected_error.html").render(
            sent=request.method == "POST", typed=typed_fields(form), when=time.strftime("%H:%M"),
            accounts_folder=ACCOUNTS_FOLDER,
            back=_local_path(str(form.get("back") or (f"/themes/{theme}" if theme else "/"))),
            reviewer=request.session.get("reviewer") if login else local_name, csrf=csrf_token(request),
            login=login, read_only=None, undoable=None, undo_id=None, flash=None)
        return HTMLResponse(html, status_code=500)

    def error_page(request: Request, status: int, message: str, headers=None) -> Response:
        """The app's own page for a refused or missing request (never FastAPI's JSON): a title, one
        plain sentence, a way back, and a message flashed by the decision that led here."""
        back_to = "/login" if request.url.path.startswith("/login") else "/"
        try:
            response = page(request, "error.html", status_code=status, title=_error_title(status),
                            message=message, back=back_to)
        except DatabaseError as error:  # the page reads the store too
            return store_failed(request, error)
        response.headers.update(headers or {})  # 405's Allow
        return response

    # Starlette's HTTPException: FastAPI's is one, and so are the router's own 404 and 405.
    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code < 400:  # signed_in's way to the login page: a redirect, not an error
            return Response(status_code=error.status_code, headers=error.headers)
        return error_page(request, error.status_code, _error_message(error), error.headers)

    @app.exception_handler(RequestValidationError)
    def malformed_request(request: Request, error: RequestValidationError) -> Response:
        # Pydantic's account (field names, the value sent) is for developers, and comes before sign-in.
        return error_page(request, 422, ERROR_MESSAGES[422])

    def back(request: Request, url: str, message: str, kind: str = "ok") -> RedirectResponse:
        request.session["flash"] = {"kind": kind, "text": message}
        return RedirectResponse(url, status_code=303)

    def signed_in(request: Request) -> str:
        name = who(request)
        if name is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")  # /search?q=…: kept
            raise HTTPException(303, headers={"Location": "/login?" + urlencode({"next": _next_page(here)})})
        return name

    def filters_from(request: Request) -> Filters:
        q = request.query_params
        transcript = q.get("transcript", "")
        return Filters(q=_no_nul(q.get("q", "")).strip(), participant=_no_nul(q.get("participant", "")),
                       transcript=_int(transcript), status=q.get("status", "live")
                       if q.get("status") in ("live", "all", "candidate", "confirmed", "rejected", "merged") else "live")

    def page_number(request: Request) -> int:
        value = request.query_params.get("page", "1")
        number = _int(value)
        return min(max(1, number), MAX_PAGE) if number is not None else 1

    @app.get("/favicon.ico")
    def no_icon():
        """Browsers ask every page for it: no content, rather than a 404 in every page's console."""
        return Response(status_code=204)

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request):
        return page(request, "login.html", next=_next_page(request.query_params.get("next", "/")))

    throttle = LoginThrottle()
    password_checks = anyio.CapacityLimiter(PASSWORD_CHECKS_AT_ONCE)

    def login_refused(request: Request, status: int, error: str, next_url: str, wait: int,
                      name: str = "") -> HTMLResponse:
        if wait:
            error += f" Too many attempts to sign in from this address: try again in {wait} s."
        # The name stays in its field (a wrong password is the usual slip); the password never comes back.
        response = page(request, "login.html", status_code=status, error=error.strip(), next=_next_page(next_url),
                        typed_name=name[:200])
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response

    def check_sign_in(name: str, password: str) -> tuple[str | None, int | None]:
        """The reviewer's name and session generation when the password is right, else (None, None)."""
        with store.session() as session:
            name = check_password(session, name, password)
            return name, session.scalar(select(Reviewer.session_generation).where(Reviewer.name == name))

    @app.post("/login")
    async def login_submit(request: Request):
        address = request.client.host if request.client else "unknown"
        if wait := throttle.reserve(address):
            # Refused before the password is checked: a guess made now learns nothing.
            sent = await request.form()
            return login_refused(request, 429, "", str(sent.get("next", "/")), wait, str(sent.get("name", "")))
        try:
            form = await form_of(request)
            # Off the event loop, which goes on serving the other reviewers meanwhile.
            name, generation = await anyio.to_thread.run_sync(
                check_sign_in, str(form.get("name", "")), str(form.get("password", "")), limiter=password_checks)
            if name is None:
                wait = throttle.failed(address)
                if wait:  # the address only: the name typed may be a password in the wrong box
                    log.warning("sign-in from %s paused for %d s after repeated wrong passwords", address, wait)
                return login_refused(request, 401, "Wrong name or password.", str(form.get("next", "/")), wait,
                                     str(form.get("name", "")))
            throttle.succeeded(address)
        finally:
            throttle.release(address)
        request.session.clear()  # a fresh session (and CSRF token) after signing in
        request.session["reviewer"], request.session["generation"] = name, generation
        return RedirectResponse(_next_page(str(form.get("next", "/"))), status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        await form_of(request)
        name = who(request) if login else None  # a cookie already signed out cannot sign others out
        if name is not None:
            with store.session() as session:  # every copy of this reviewer's cookies stops working
                reviewer = session.scalar(select(Reviewer).where(Reviewer.name == name))
                if reviewer is not None:
                    reviewer.session_generation += 1
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def themes(request: Request):
        signed_in(request)
        filters = filters_from(request)
        with store.session() as session:
            rows = theme_list(session, filters)
            # With nothing to list, why: no run yet, or every theme hidden by the status filter (all rejected).
            elsewhere = len(current_themes(session, Filters(status="all").statuses())) if not rows else 0
            return page(request, "themes.html", rows=rows, filters=filters, hidden_by_status=elsewhere,
                        **choices(session))

    @app.get("/themes/{theme_id}", response_class=HTMLResponse)
    def theme_page(request: Request, theme_id: str):
        signed_in(request)
        filters, number = filters_from(request), page_number(request)
        with store.session() as session:
            number_given = _int(theme_id)
            if number_given is None:
                # A code, as reviewers write them ("T2", "q1-t2.3"): the current theme's page.
                by_code = theme_by_code(session, theme_id.strip().upper())
                if by_code is None:
                    raise HTTPException(404, f"No theme {theme_id[:20]!r} in the current themes.")
                query = f"?{request.url.query}" if request.url.query else ""  # ?page=2, ?suggest=split: kept
                return RedirectResponse(f"/themes/{by_code.id}{query}", status_code=303)
            theme = session.get(Theme, number_given)
            if theme is None:
                raise HTTPException(404, "No such theme.")
            statements, total = theme_statements(session, theme, filters, number)
            if number > 1 and not statements and total:  # its last statements were just taken out: the new last page
                number = -(-total // PAGE_SIZE)
                statements, total = theme_statements(session, theme, filters, number)
            suggested_split, split_error = [], None
            if request.query_params.get("suggest") == "split":
                try:
                    suggested_split = suggest_split(session, theme.id)
                except ReviewError as error:
                    split_error = str(error)
            parent = session.get(Theme, theme.parent_id) if theme.parent_id else None
            merged_into = session.get(Theme, theme.merged_into_id) if theme.merged_into_id else None
            # A theme with subcategories cannot go under another (two levels are kept): no menu to refuse.
            has_subcategories = session.scalar(select(Theme.id).where(Theme.parent_id == theme.id,
                                                                      Theme.status.in_(LIVE_STATUSES))) is not None
            return page(request, "theme.html", theme=theme, parent=parent, merged_into=merged_into,
                        has_subcategories=has_subcategories,
                        merged_line=merged_line(session, theme), statements=statements, total=total,
                        page=number, pages=max(1, -(-total // PAGE_SIZE)), filters=filters,
                        memos=memos_on(session, theme_id=theme.id), split_group=set(suggested_split[1])
                        if len(suggested_split) > 1 else set(), split_error=split_error, **choices(session))

    # Ids in the path are read as text and parsed here, after signed_in: a typed parameter would be
    # checked first, and answer a signed-out visitor with a validation error instead of the login page.
    @app.get("/themes/{theme_id}/audit", response_class=HTMLResponse)
    def audit_page(request: Request, theme_id: str):
        signed_in(request)
        number = _int(theme_id)
        with store.session() as session:
            theme = session.get(Theme, number) if number is not None else None
            if theme is None:
                raise HTTPException(404, "No such theme.")
            return page(request, "audit.html", theme=theme, decisions=theme_decisions(session, theme.id))

    @app.get("/transcripts/{transcript_id}", response_class=HTMLResponse)
    def transcript_page(request: Request, transcript_id: str):
        signed_in(request)
        highlight = request.query_params.get("statement", "")
        number = _int(transcript_id)
        with store.session() as session:
            transcript = session.get(Transcript, number) if number is not None else None
            if transcript is None:
                raise HTTPException(404, "No such transcript.")
            turns = transcript_turns(session, transcript, _int(highlight))
            return page(request, "transcript.html", transcript=transcript, turns=turns)

    @app.get("/report", response_class=HTMLResponse)
    def study_report(request: Request):
        """The publishable report (tables, pictures, saturation), built from the study as it is now."""
        signed_in(request)
        from qualflow.pipeline.publish import study_report_html

        with store.session() as session:
            return HTMLResponse(study_report_html(session))

    @app.get("/saturation.png")
    def saturation_curve(request: Request):
        signed_in(request)
        from fastapi.responses import Response
        from qualflow.pipeline.figures import saturation_png

        with store.session() as session:
            return Response(saturation_png(session), media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.get("/search", response_class=HTMLResponse)
    def search_page(request: Request):
        signed_in(request)
        filters, number = filters_from(request), page_number(request)
        with store.session() as session:
            rows, total = search_statements(session, filters, number) if (
                filters.q or filters.participant or filters.transcript) else ([], 0)
            return page(request, "search.html", rows=rows, total=total, filters=filters, page=number,
                        pages=max(1, -(-total // PAGE_SIZE)), **choices(session))

    @app.post("/decide/{action}")
    async def decide(request: Request, action: str):
        reviewer = who(request)
        if reviewer is None:
            # Not a redirect to sign in: that would come back to this POST address as a GET (a 405),
            # and what the reviewer typed would be gone without a word.
            return not_saved(request, await sent_form(request), 401, "You were signed out: nothing was saved",
                             "Your session ended (signed out in another tab, timed out, or the server restarted) "
                             "before this form arrived, so nothing was saved.")
        try:
            form = await form_of(request)
        except HTTPException:
            return not_saved(request, await sent_form(request), 403, "Not saved: the form had expired", CSRF_REFUSAL)
        theme_id = _int(form.get("theme"))
        version = _int(form.get("version"))
        expected = {theme_id: version} if theme_id and version else None
        statement = _int(form.get("statement_id"))
        back_to = _local_path(str(form.get("back") or (f"/themes/{theme_id}" if theme_id else "/")))
        try:
            picked = _check_form(action, form)
        except BadForm as error:
            return page(request, "error.html", status_code=400, title="Not saved: the form was incomplete",
                        message=f"{error} Nothing was saved.", back=back_to, typed=typed_fields(form))
        try:
            with store.session() as session:
                if action == "accept":
                    done = actions.accept(session, reviewer, theme_id, expected)
                elif action == "reject":
                    done = actions.reject(session, reviewer, theme_id, expected)
                elif action == "rename":
                    done = actions.rename(session, reviewer, theme_id, str(form.get("label", "")),
                                          str(form.get("description", "")), expected)
                elif action == "merge":
                    done = actions.merge(session, reviewer, [theme_id], _int(form.get("target")), expected)
                    back_to = f"/themes/{_int(form.get('target'))}"
                elif action == "split":
                    done = actions.split(session, reviewer, theme_id, picked, str(form.get("label", "")), expected)
                elif action == "parent":
                    done = actions.set_parent(session, reviewer, theme_id, _int(form.get("parent")), expected)
                elif action == "move":
                    done = actions.move(session, reviewer, statement, _int(form.get("target")), expected)
                elif action == "confirm":
                    done = actions.confirm_assignment(session, reviewer, statement, expected)
                elif action == "take-out":
                    done = actions.reject_assignment(session, reviewer, statement, expected)
                elif action == "not-significant":
                    done = actions.mark_not_significant(session, reviewer, statement, expected)
                elif action == "significant":
                    done = actions.mark_significant(session, reviewer, statement, expected)
                elif action == "place":
                    done = actions.place(session, reviewer, statement, _int(form.get("target")))
                elif action == "memo":
                    # Not the theme's version: a memo is not outdated by a rename; write_memo refuses a
                    # theme merged away or rejected since the page was loaded (a conflict).
                    done = actions.write_memo(session, reviewer, str(form.get("text", "")),
                                              theme_id=None if statement else theme_id, statement_id=statement)
                elif action == "undo":
                    done = undo(session, reviewer, _int(form.get("decision")))
                else:
                    raise HTTPException(404, "No such action.")
                message = f"Saved: {done.summary}."
        except ConflictError as error:
            return page(request, "conflict.html", status_code=409, message=str(error), back=back_to,
                        back_text=_back_link_text(back_to), typed=typed_fields(form))
        except ReviewError as error:
            return refused(request, form, back_to, str(error), 400)
        except OperationalError as error:
            if not is_lock_error(error):
                raise  # store_failed: an error page, and the details in the server's log
            return refused(request, form, back_to, f"{BUSY} Nothing was saved; try again in a moment.", 503)
        return back(request, back_to, message)

    def refused(request: Request, form: dict, back_to: str, message: str, status: int) -> Response:
        """A decision refused (a rule it breaks, or the study busy): back to the page with the notice, unless
        the reviewer typed something (a name, a memo), which that redirect would lose: then a page saying
        so that keeps it in view to copy."""
        typed = typed_fields(form)
        if not typed:
            return back(request, back_to, message, "error")
        return page(request, "error.html", status_code=status, title="Not saved", message=message, back=back_to,
                    typed=typed)

    return app


def _check_form(action: str, form: dict) -> list[int]:
    """Refuse a form missing a field its action needs (a hand-made or truncated request); the
    statements ticked for a split, as numbers."""
    for field in NEEDS.get(action, ()):
        if not _int(form.get(field)):
            raise BadForm(f"The form did not name {FIELD_NAMES[field]}, or not as a number.")
    # Empty means "a top-level theme"; anything else must be a theme's number, not read as empty.
    if action == "parent" and str(form.get("parent") or "").strip() and not _int(form.get("parent")):
        raise BadForm("The parent theme must be a theme's number (or empty, for a top-level theme).")
    picked = [_int(s) for s in form.get("statement") or []] if action == "split" else []
    if None in picked:
        raise BadForm("The statements ticked to split off must be statement numbers.")
    return picked


def _error_title(status: int) -> str:
    try:
        return ERROR_TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:  # a status code Python has no name for
        return "Not served"


def _error_message(error: StarletteHTTPException) -> str:
    """The app's own sentence ("No such theme."); for Starlette's bare phrase ("Not Found"), a plainer one."""
    try:
        bare = error.detail == HTTPStatus(error.status_code).phrase
    except ValueError:
        bare = False
    if bare or not isinstance(error.detail, str):
        return ERROR_MESSAGES.get(error.status_code, "This request could not be served.")
    return error.detail


def typed_fields(form) -> list[tuple[str, str]]:
    """What the reviewer typed into a form (name, description, memo), to show back when it was not saved;
    without control characters, as it would have been stored (nothing, if that is all there was)."""
    typed = {key: CONTROL_CHARACTERS.sub("", str(form.get(key) or "")) for key in TYPED_FIELDS}
    return [(TYPED_FIELDS[key], text) for key, text in typed.items() if text.strip()]


def _foreign_origin(request: Request) -> bool:
    """A form sent from a page on another origin. Browsers send Origin with a POST; with this app's
    Referrer-Policy: no-referrer Chromium sends "null" for its own forms, so that (or none) is left
    to the CSRF token alone."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


def _sent_from_this_app(request: Request) -> bool:
    """Whether a form came from one of this app's own pages, as far as the browser says. Sec-Fetch-Site is
    set by the browser, never by a page (Chromium, Firefox, Safari 16.4 on); only "same-origin" counts: another
    port of this machine is "same-site". A client that sends no Sec-Fetch-Site (a script, an older browser)
    is judged by Origin: none, or this host. Not "null": any site can make its form send that."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is None or (origin != "null" and not _foreign_origin(request))


def _here(request: Request) -> str:
    """This page's address, which its forms send as `back` so a decision comes back to the same page, filter
    and statement (a split suggestion is not worked out again)."""
    query = urlencode([(key, value) for key, value in request.query_params.multi_items() if key != "suggest"])
    return _next_page(request.url.path + (f"?{query}" if query else ""))


def _next_page(url: str) -> str:
    """Where to go after signing in: a page on this site. A form's address (/decide/…, /logout) only
    answers POST, so it would be a 405: the theme list instead."""
    url = _local_path(url)
    return "/" if urlsplit(url).path.startswith(("/decide/", "/logout")) else url


def _no_nul(text: str) -> str:
    """A search without NUL characters: no statement holds one, and PostgreSQL refuses them in a query."""
    return text.replace("\x00", "")


def _int(value) -> int | None:
    """A whole number from a query or form, clamped to MAX_ID; None when it is not one."""
    value = str(value or "").strip()
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to isdigit() but not to int()
        return None
    # Over 19 digits is past MAX_ID; int() itself refuses over 4,300 digits (ValueError).
    return MAX_ID if len(value) > 19 else min(int(value), MAX_ID)


def _local_path(url: str) -> str:
    """Only link or redirect within this site: an absolute or protocol-relative URL becomes '/', and so does
    a path holding a control character or a backslash anywhere. Browsers drop tab, CR and LF from a URL and
    read a backslash as a slash, so "/<TAB>/evil.example" would open evil.example. What is kept comes back
    percent-encoded (spaces, quotes, non-ASCII), the same address whatever page or header it goes into."""
    if not url.startswith("/") or url.startswith("//") or NOT_IN_LOCAL_PATH.search(url):
        return "/"
    return quote(url, safe=URL_SAFE)


def _back_link_text(url: str) -> str:
    """What a link back to `url` (a local path, from _local_path) says: the page a reviewer came from, by name."""
    path = urlsplit(url).path
    return next((text for page, text in BACK_LINK_TEXTS if page.fullmatch(path)), BACK_TO_ANOTHER_PAGE)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8765, login: bool = True,
          tls_cert: Path | None = None, tls_key: Path | None = None,
          announce: Callable[[], None] | None = None) -> None:
    """Serve until stopped; over HTTPS when given a certificate and its key. `announce` is called once the
    app is built, so that nothing says "serving" before a refusal (no reviewer accounts yet)."""
    import uvicorn

    check_bind(host, login)
    check_tls(tls_cert, tls_key)
    app = create_app(data_dir, login, host, tls=tls_cert is not None)
    if announce is not None:
        announce()
    tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls_cert else {}
    # X-Forwarded-For and -Proto are believed only from the proxies named in FORWARDED_ALLOW_IPS. uvicorn's
    # own default believes 127.0.0.1, so every account on this machine could name a new address for each
    # password guess and the sign-in throttle would never start.
    proxies = os.environ.get("FORWARDED_ALLOW_IPS", "").strip()
    uvicorn.run(app, host=host, port=port,
                log_level="warning", access_log=False, proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None, **tls)
