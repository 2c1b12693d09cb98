"""Sessions on coatcheck: the store, the signed ``sessionId`` cookie, and
"who is asking".

The store is opened lazily, in the serving process, on first use (a store
must never be inherited through ``fork()``); with several uvicorn workers
pass ``COATCHECK_OPTIONS='{"shared": true}'`` so that they open one file
together. The cookie holds only coatcheck's token, signed with HMAC-SHA256
(``coatcheck.http.CookieConfig(signed=True)``); the session's data stays on
the server.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Tuple

import coatcheck
from coatcheck.http import CookieConfig
from starlette.requests import HTTPConnection

from learn_sessions.settings import Settings

COOKIE_NAME = "sessionId"
_LONGEST_USER_AGENT = 512


@dataclass(frozen=True)
class Current:
    """The session a request came with: its token (from the cookie) and
    what the store says about it."""

    token: str
    session: coatcheck.Session

    @property
    def user(self) -> Optional[str]:
        return self.session.user


class Sessions:
    """The app's session store and cookie rules."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = coatcheck.ManualClock() if settings.test_clock else None
        self._store: Optional[coatcheck.Store] = None
        self._store_pid = 0
        self._lock = threading.Lock()
        keys = [settings.secret_key]
        self._cookies = {
            secure: CookieConfig(
                COOKIE_NAME, secure=secure, http_only=True, same_site="lax", signed=True, keys=keys
            )
            for secure in (False, True)
        }

    @property
    def store(self) -> coatcheck.Store:
        """The store, opened on first use in this process."""
        with self._lock:
            if self._store is None or self._store_pid != os.getpid():
                options = dict(self.settings.store_options)
                if self.clock is not None:
                    options["clock"] = self.clock
                self._store = coatcheck.Store(str(self.settings.sessions_file), **options)
                self._store_pid = os.getpid()
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._store_pid == os.getpid():
                self._store.close()
            self._store = None

    def now(self) -> datetime:
        """The app's time: the store's clock (a manual one under ``TEST_CLOCK``)."""
        if self.clock is not None:
            return self.clock.now()
        return datetime.now(timezone.utc)

    def cookies(self, conn: HTTPConnection) -> CookieConfig:
        """The cookie rules for this request: ``Secure`` over HTTPS (or
        always/never, as ``COOKIE_SECURE`` says)."""
        mode = self.settings.cookie_secure
        secure = mode == "always" or (mode == "auto" and conn.url.scheme == "https")
        return self._cookies[secure]

    def cookie_sent(self, conn: HTTPConnection) -> bool:
        """Whether the request carries a ``sessionId`` cookie at all."""
        return COOKIE_NAME in conn.cookies or f"{COOKIE_NAME}=" in conn.headers.get("cookie", "")

    def current(self, conn: HTTPConnection) -> Optional[Current]:
        """The live session of the request's cookie; None when there is no
        cookie, or it is malformed, unsigned, tampered with, expired or ended."""
        token = self.cookies(conn).token_from_cookie_header(conn.headers.get("cookie", ""))
        if token is None:
            return None
        try:
            return Current(token, self.store.get(token))
        except (coatcheck.SessionNotFound, coatcheck.InvalidToken):
            return None

    def signed_in(self, conn: HTTPConnection) -> Optional[Current]:
        """Like ``current``, but only a session with a user counts."""
        current = self.current(conn)
        return current if current is not None and current.user is not None else None

    def start(self, conn: HTTPConnection, user_id: str, remember: bool) -> coatcheck.Session:
        """A new signed-in session (with its token), labelled with the
        client's address and browser for the "your devices" page."""
        ip, agent = _meta(conn)
        return self.store.create(user=user_id, remember=remember, ip=ip, user_agent=agent)

    def anonymous(self, conn: HTTPConnection) -> coatcheck.Session:
        """A new session without a user: it carries the CSRF token and
        flash messages of the sign-in and sign-up pages."""
        ip, agent = _meta(conn)
        return self.store.create(ip=ip, user_agent=agent)

    def set_cookie(self, conn: HTTPConnection, session: coatcheck.Session) -> str:
        """``Set-Cookie`` for a session fresh from ``create``/``login``:
        ``Max-Age`` for "keep me signed in", a browser-session cookie otherwise."""
        return self.cookies(conn).set_cookie(session)

    def clear_cookie(self, conn: HTTPConnection) -> str:
        return self.cookies(conn).clear_cookie()


def _meta(conn: HTTPConnection) -> Tuple[Optional[str], Optional[str]]:
    """The client's address and ``User-Agent`` (cut to a sane length)."""
    agent = conn.headers.get("user-agent")
    return (
        conn.client.host if conn.client else None,
        agent[:_LONGEST_USER_AGENT] if agent else None,
    )
