"""The HTML pages: server-rendered Jinja2 forms on the same accounts and
the same store as the API, no JavaScript, no build step.

Every page runs in a coatcheck session: an anonymous one (made on the
first visit) carries the CSRF token and the flash messages of the sign-in
pages, and ``Store.login`` turns it into the user's session with a new
token (OWASP: renew the id on sign-in). Every form carries a masked CSRF
token (``Store.csrf_token``, a fresh pad per page, BREACH-safe) that the
POST handler checks with ``Store.verify_csrf`` before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlencode

import coatcheck
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from learn_sessions.accounts import AccountError, Accounts
from learn_sessions.sessions import Sessions

HERE = Path(__file__).parent
MAX_FORM = 16 * 1024
#: What a bounced visitor is told, by the reason coatcheck gives.
ENDED = {
    "logout": "You signed out.",
    "logout_everywhere": "You were signed out on this device (from another device, or after a password reset).",
    "admin": "You were signed out on this device from another device.",
    "evicted": "You were signed out: too many devices.",
    "expired": "Your session timed out. Please sign in again.",
}


@dataclass
class Page:
    """A request's session for the pages: the token and session, and the
    ``Set-Cookie`` to send when the session was made by this request."""

    token: str
    session: coatcheck.Session
    set_cookie: Optional[str] = None

    @property
    def user(self) -> Optional[str]:
        return self.session.user


class Pages:
    def __init__(self, accounts: Accounts, sessions: Sessions) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def routes(self) -> List[Any]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/signup", self.get(self.signup_page), methods=["GET"]),
            Route("/signup", self.post(self.signup), methods=["POST"]),
            Route("/signin", self.get(self.signin_page), methods=["GET"]),
            Route("/signin", self.post(self.signin), methods=["POST"]),
            Route("/signout", self.post(self.signout), methods=["POST"]),
            Route("/users", self.get(self.users_page, signed_in=True), methods=["GET"]),
            Route("/devices", self.get(self.devices_page, signed_in=True), methods=["GET"]),
            Route("/devices/logout", self.post(self.logout_device, signed_in=True), methods=["POST"]),
            Route("/devices/logout-others", self.post(self.logout_others, signed_in=True), methods=["POST"]),
            Route("/forgot", self.get(self.forgot_page), methods=["GET"]),
            Route("/forgot", self.post(self.forgot), methods=["POST"]),
            Route("/reset", self.get(self.reset_page), methods=["GET"]),
            Route("/reset", self.post(self.reset), methods=["POST"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]

    # Plumbing

    def _page(self, request: Request) -> tuple[Optional[Page], Optional[str]]:
        """The request's session, or (None, why it ended) when its cookie
        names a session that is gone."""
        cookies = self.sessions.cookies(request)
        token = cookies.token_from_cookie_header(request.headers.get("cookie", ""))
        if token is None:
            return None, None
        try:
            return Page(token, self.sessions.store.get(token)), None
        except coatcheck.SessionRevoked as ended:
            return None, ended.reason
        except coatcheck.SessionExpired:
            return None, "expired"
        except (coatcheck.SessionNotFound, coatcheck.InvalidToken):
            return None, None

    def _anonymous(self, request: Request, flash: Optional[str] = None) -> Page:
        session = self.sessions.anonymous(request)
        assert session.token is not None
        if flash:
            self.sessions.store.flash(session.token, "info", flash)
        return Page(session.token, session, self.sessions.set_cookie(request, session))

    def _ensure(self, request: Request) -> tuple[Page, Optional[str]]:
        page, ended = self._page(request)
        return (page, ended) if page is not None else (self._anonymous(request), ended)

    def _redirect(self, page: Page, to: str) -> Response:
        response = RedirectResponse(to, status_code=303)
        if page.set_cookie:
            response.headers.append("Set-Cookie", page.set_cookie)
        return response

    def _bounce(self, request: Request, ended: Optional[str]) -> Response:
        """To the sign-in page, saying why when the session was ended."""
        message = ENDED.get(ended or "", "Please sign in first.")
        return self._redirect(self._anonymous(request, message), "/signin")

    def _render(self, request: Request, page: Page, template: str, **context: Any) -> Response:
        store = self.sessions.store
        context.update(
            request=request,
            csrf=store.csrf_token(page.token),
            flashes=store.take_flash(page.token),
            signed_in=page.user is not None,
            me=self.accounts.db.user_by(id=page.user) if page.user else None,
        )
        response = self.templates.TemplateResponse(request, template, context)
        response.headers["Cache-Control"] = "no-store"
        if page.set_cookie:
            response.headers.append("Set-Cookie", page.set_cookie)
        return response

    def get(self, handler: Any, *, signed_in: bool = False) -> Any:
        async def endpoint(request: Request) -> Response:
            def work() -> Response:
                if signed_in:
                    page, ended = self._page(request)
                    if page is None or page.user is None:
                        return self._bounce(request, ended)
                else:
                    page, _ = self._ensure(request)
                return handler(request, page)  # type: ignore[no-any-return]

            return await run_in_threadpool(work)

        return endpoint

    def post(self, handler: Any, *, signed_in: bool = False) -> Any:
        """A form handler: the form is read, the CSRF token checked, then
        ``handler(request, page, form)`` runs in a worker thread."""

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            form: Dict[str, str] = {}
            if len(raw) <= MAX_FORM:
                parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
                form = {key: values[0] for key, values in parsed.items()}

            def work() -> Response:
                page, ended = self._page(request)
                if page is None:
                    return self._bounce(request, ended or "expired")
                candidate = form.get("csrf", "")
                if not candidate or not self.sessions.store.verify_csrf(page.token, candidate):
                    return HTMLResponse(
                        "<h1>403: the form was not sent from this site, or it is too old</h1>"
                        '<p><a href="/">Start again</a></p>',
                        status_code=403,
                    )
                if signed_in and page.user is None:
                    return self._bounce(request, ended)
                return handler(request, page, form)  # type: ignore[no-any-return]

            return await run_in_threadpool(work)

        return endpoint

    def _flash(self, page: Page, kind: str, message: str) -> None:
        self.sessions.store.flash(page.token, kind, message)

    def _sign_in(
        self, request: Request, page: Page, user_id: str, remember: bool, message: str,
        *, end_others: bool = False,
    ) -> Response:
        """Turns the page's session into the user's (a new token, flash
        kept); with ``end_others``, every other session of the user ends."""
        store = self.sessions.store
        if page.user is not None:  # someone else was signed in here: start afresh
            store.logout(page.token)
            page = self._anonymous(request)
        session = store.login(page.token, user_id)
        token = session.token or page.token
        if remember:
            store.set_remember(token, True)
        store.flash(token, "success", message)
        signed = Page(token, store.peek(token))
        if end_others:
            store.destroy_user_except(user_id, signed.session.id)
        signed.set_cookie = self.sessions.cookies(request).set_cookie_for(token, signed.session)
        return self._redirect(signed, "/users")

    # Pages

    async def home(self, request: Request) -> Response:
        page, _ = await run_in_threadpool(self._page, request)
        return RedirectResponse("/users" if page and page.user else "/signin", status_code=303)

    def signup_page(self, request: Request, page: Page) -> Response:
        if page.user is not None:
            return self._redirect(page, "/users")
        return self._render(request, page, "signup.html")

    def signup(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        body = {
            "displayName": form.get("displayName") or None,
            "name": form.get("name", ""),
            "email": form.get("email", ""),
            "password": form.get("password", ""),
            "keepSignedIn": form.get("keepSignedIn") == "on",
        }
        try:
            user = self.accounts.create_user(body)
        except AccountError as error:
            self._flash(page, "error", error.message)
            return self._redirect(page, "/signup")
        welcome = f"Welcome, {user.display_name or user.name}! Your account is ready."
        return self._sign_in(request, page, user.id, user.keep_signed_in, welcome)

    def signin_page(self, request: Request, page: Page) -> Response:
        if page.user is not None:
            return self._redirect(page, "/users")
        return self._render(request, page, "signin.html")

    def signin(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        login = form.get("login", "")
        body: Dict[str, Any] = {
            ("email" if "@" in login else "name"): login,
            "password": form.get("password", ""),
            "keepSignedIn": form.get("keepSignedIn") == "on",
        }
        try:
            sign_in = self.accounts.authenticate(body, _address(request))
        except AccountError as error:
            self._flash(page, "error", error.message)
            return self._redirect(page, "/signin")
        user = sign_in.user
        return self._sign_in(
            request, page, user.id, sign_in.keep_signed_in, f"Signed in as {user.display_name or user.name}."
        )

    def signout(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        self.sessions.store.logout(page.token)
        return self._redirect(self._anonymous(request, "You are signed out."), "/signin")

    def users_page(self, request: Request, page: Page) -> Response:
        return self._render(request, page, "users.html", users=self.accounts.db.all_users())

    def devices_page(self, request: Request, page: Page) -> Response:
        assert page.user is not None
        devices: List[Dict[str, Any]] = [
            {
                "id": s.id,
                "browser": describe_browser(s.meta.user_agent),
                "address": s.meta.ip or "unknown",
                "last_seen": s.last_access,
                "signed_in": s.created_at,
                "remember": s.remember,
                "current": s.id == page.session.id,
            }
            for s in self.sessions.store.sessions_of(page.user)
        ]
        devices.sort(key=lambda d: (not d["current"], -d["last_seen"].timestamp()))
        return self._render(request, page, "devices.html", devices=devices)

    def logout_device(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        assert page.user is not None
        wanted = form.get("id", "")
        # Only a session of the signed-in user may be ended from here.
        owned = {s.id for s in self.sessions.store.sessions_of(page.user)}
        if wanted == page.session.id:
            return self.signout(request, page, form)
        if wanted in owned and self.sessions.store.destroy_id(wanted):
            self._flash(page, "success", "That device is signed out.")
        else:
            self._flash(page, "error", "No such device of yours is signed in.")
        return self._redirect(page, "/devices")

    def logout_others(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        assert page.user is not None
        ended = self.sessions.store.destroy_user_except(page.user, page.session.id)
        self._flash(page, "success", f"Signed out {ended} other device{'s' if ended != 1 else ''}.")
        return self._redirect(page, "/devices")

    def forgot_page(self, request: Request, page: Page) -> Response:
        return self._render(request, page, "forgot.html")

    def forgot(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        try:
            started = self.accounts.start_recovery({"email": form.get("email", "")}, _address(request))
        except AccountError as error:
            self._flash(page, "error", error.message)
            return self._redirect(page, "/forgot")
        message = "We sent a 6-digit code to your e-mail. Enter it below with a new password."
        if self.accounts.settings.debug:
            message += f" (DEBUG: the code is {started.code}.)"
        self._flash(page, "success", message)
        return self._redirect(page, "/reset?" + urlencode({"id": started.id}))

    def reset_page(self, request: Request, page: Page) -> Response:
        return self._render(request, page, "reset.html", recovery_id=request.query_params.get("id", ""))

    def reset(self, request: Request, page: Page, form: Dict[str, str]) -> Response:
        body = {"id": form.get("id", ""), "otp": form.get("otp", ""), "newPassword": form.get("newPassword", "")}
        try:
            user = self.accounts.reset_password(body, _address(request))
        except AccountError as error:
            self._flash(page, "error", error.message)
            return self._redirect(page, "/reset?" + urlencode({"id": body["id"]}))
        # Log out everywhere else: whoever knew the old password is out.
        message = "Your password is changed. Every other device was signed out."
        return self._sign_in(request, page, user.id, user.keep_signed_in, message, end_others=True)

def describe_browser(agent: Optional[str]) -> str:
    """"Chrome on Linux" from a ``User-Agent`` (rough, for people)."""
    if not agent:
        return "Unknown browser"
    text = agent.lower()
    browser = next(
        (name for key, name in (("edg/", "Edge"), ("firefox/", "Firefox"), ("chrome/", "Chrome"),
                                ("safari/", "Safari"), ("curl/", "curl"), ("python", "Python"))
         if key in text),
        "A browser",
    )  # fmt: skip
    system = next(
        (name for key, name in (("android", "Android"), ("iphone", "iPhone"), ("ipad", "iPad"),
                                ("windows", "Windows"), ("mac os", "macOS"), ("linux", "Linux"))
         if key in text),
        "",
    )  # fmt: skip
    return f"{browser} on {system}" if system else browser


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
