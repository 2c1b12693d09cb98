"""Starlette and FastAPI sessions on coatcheck: ASGI middleware.

::

    from fastapi import Depends, FastAPI, Request
    import coatcheck.starlette as ccs

    app = FastAPI()
    app.add_middleware(ccs.SessionMiddleware, store="sessions.redb")

    @app.post("/login")
    async def login(request: Request):
        ...                                          # check the password
        await ccs.login(request, "ada")              # new token, cart kept
        return {"ok": True}

    @app.get("/devices")
    async def devices(sessions=Depends(ccs.user_sessions)):
        return [s.id for s in sessions]

``request.session`` is a dict that tracks ``accessed`` and ``modified`` like
Starlette's own; the cookie options are those of Starlette's
``SessionMiddleware`` (``session_cookie``, ``max_age``, ``path``,
``same_site``, ``https_only``, ``domain``, ``partitioned``), without a
``secret_key``: the cookie holds only the coatcheck token, the data stays on
the server. A missing, bogus, expired or ended cookie gives an empty
session, never an error; ``Set-Cookie`` is sent only when the session was
modified (or an emptied session's cookie is deleted).

Saves write only the keys the request changed (values changed in place
included), atomically, so concurrent requests changing different keys keep
both changes; a session ended while the request ran is not brought back.
Engine calls run in a worker thread (``anyio.to_thread``), so that a write
waiting on the disk never blocks the event loop.

``store`` is a ``coatcheck.Store``, or a path (None: in memory) of a store
opened lazily, once per process (each uvicorn/gunicorn worker, after
fork), with ``store_options``: keywords for ``coatcheck.Store``; by default
``shared=True`` for a file, so that every worker process of one machine
(``uvicorn --workers N``) serves the same sessions (``"shared": False`` for
a single process that wants the last microseconds), and ``idle_timeout``
is ``max_age`` (14 days when ``max_age`` is None). A session also ends
``absolute_timeout`` after it was created however busy it is (seconds or a
``timedelta``; default 30 days, or ``max_age`` if longer), so that a stolen
cookie does not last forever.

The session is loaded on the first ``request.session`` of a request: a
route that never touches the session never reads it (nor opens the store).
``max_age=None`` gives a browser-session cookie, as in Starlette. Options
are checked at construction: a ``max_age`` of 0 or less, an unknown
``same_site``, a cookie name or path a browser would refuse, or an unknown
``store_options`` keyword raise ``ValueError``/``TypeError`` there, not on
every request.
"""

from __future__ import annotations

import inspect
import os
import re
from datetime import timedelta
from functools import partial
from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, TypeVar, Union

from anyio import to_thread
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coatcheck._adapters import ProcessStore, apply_changes, diff, session_from_cookie_header
from coatcheck._adapters import absolute_timeout as _absolute_timeout
from coatcheck._errors import InvalidToken, SessionNotFound
from coatcheck._native import CookieConfig, Session, Store

__all__ = [
    "CoatcheckSession",
    "SessionMiddleware",
    "csrf_token",
    "get_store",
    "login",
    "logout",
    "logout_other_devices",
    "regenerate",
    "user_sessions",
    "verify_csrf",
]

_R = TypeVar("_R")
_STORE_KEY = "coatcheck.store"


async def _run(func: Callable[..., _R], *args: Any) -> _R:
    return await to_thread.run_sync(partial(func, *args))


class CoatcheckSession(Dict[str, Any]):
    """``request.session``: a dict that tracks ``accessed`` and ``modified``
    as Starlette's own session does, plus the coatcheck ``token`` (None
    until created), ``id`` and ``user``. A request's session is read from
    the store on its first ``request.session`` (``mark_accessed``)."""

    accessed: bool = False
    modified: bool = False

    def __init__(
        self,
        data: Optional[Dict[str, Any]] = None,
        token: Optional[str] = None,
        *,
        id: Optional[str] = None,
        user: Optional[str] = None,
    ) -> None:
        super().__init__(data or {})
        self.token = token
        self.id = id
        self.user = user
        self._cc_original: Dict[str, Any] = dict(data or {})
        self._cc_keep = False  # created by a helper: kept even while empty
        self._cc_meta: Dict[str, Optional[str]] = {}  # ip, user_agent of new sessions
        # (how to reach the store, the cookie's name, the Cookie header):
        # read on first access.
        self._cc_pending: Optional[Tuple[Callable[[], Store], str, str]] = None

    def mark_accessed(self) -> None:
        """Called by Starlette's ``request.session``: loads the session now
        if the request has not read it yet."""
        pending, self._cc_pending = self._cc_pending, None
        if pending is not None:
            self._load(*pending)
        self.accessed = True

    def mark_modified(self) -> None:
        self.mark_accessed()
        self.modified = True

    def _load(self, store: Callable[[], Store], cookie_name: str, header: str) -> None:
        _, found = session_from_cookie_header(store(), cookie_name, header)
        if found is None:
            return  # a missing, bogus, expired or ended cookie: empty session
        token, s = found
        dict.update(self, s.data)
        self._cc_original = s.data  # a second, separate copy
        self.token, self.id, self.user = token, s.id, s.user

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        self.mark_accessed()
        if key in self:
            self.mark_modified()
        return super().pop(key, *default)

    def popitem(self) -> Tuple[str, Any]:
        self.mark_modified()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.mark_accessed()
        if key not in self:
            self.mark_modified()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.mark_modified()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> "CoatcheckSession":  # type: ignore[override,misc]
        self.mark_modified()
        super().update(other)
        return self


#: What browsers accept as a cookie name (RFC 6265: an HTTP token).
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: What may not appear in a cookie attribute value.
_ATTRIBUTE_BREAKERS = re.compile(r"[;,\s\x00-\x1f\x7f]")
#: The keywords ``coatcheck.Store`` takes besides the path.
_STORE_KEYWORDS = frozenset(inspect.signature(Store).parameters) - {"path"}


def _check_options(
    store: object,
    store_options: Optional[Dict[str, Any]],
    session_cookie: str,
    max_age: Optional[int],
    path: str,
    same_site: str,
    domain: Optional[str],
) -> None:
    """Refuses, with a message naming the option, what would otherwise fail
    (or silently misbehave) on every request."""
    if not isinstance(store, (Store, str, os.PathLike)) and store is not None:
        raise TypeError(
            "SessionMiddleware: store must be a coatcheck.Store, a path or None (in memory), "
            f"got {type(store).__name__}"
        )
    if isinstance(store, Store) and store_options:
        raise TypeError(
            "SessionMiddleware: store_options configure a store the middleware opens; "
            "pass them to coatcheck.Store(...) instead"
        )
    unknown = sorted(set(store_options or {}) - _STORE_KEYWORDS)
    if unknown:
        raise TypeError(
            f"SessionMiddleware: unknown store_options {', '.join(unknown)}; "
            f"coatcheck.Store takes {', '.join(sorted(_STORE_KEYWORDS))}"
        )
    if max_age is not None and (
        isinstance(max_age, bool) or not isinstance(max_age, int) or max_age <= 0
    ):
        raise ValueError(
            f"SessionMiddleware: max_age must be a number of seconds above 0, or None for "
            f"a cookie that ends when the browser closes; got {max_age!r}"
        )
    if same_site not in ("lax", "strict", "none"):
        raise ValueError(
            f"SessionMiddleware: same_site must be 'lax', 'strict' or 'none', got {same_site!r}"
        )
    if not isinstance(session_cookie, str) or not _COOKIE_NAME.fullmatch(session_cookie):
        raise ValueError(
            "SessionMiddleware: session_cookie must be a non-empty cookie name (letters, "
            f"digits and !#$%&'*+-.^_`|~), got {session_cookie!r}"
        )
    if not isinstance(path, str) or not path.startswith("/") or _ATTRIBUTE_BREAKERS.search(path):
        raise ValueError(
            f"SessionMiddleware: path must start with '/' and hold no ';', ',', space or "
            f"control character, got {path!r}"
        )
    if domain is not None and (not domain or _ATTRIBUTE_BREAKERS.search(domain)):
        raise ValueError(
            "SessionMiddleware: domain must be None or a host name without ';', ',', space "
            f"or control character, got {domain!r}"
        )


class SessionMiddleware:
    """Server-side sessions for Starlette and FastAPI (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        store: Union[Store, str, "os.PathLike[str]", None] = "sessions.redb",
        *,
        store_options: Optional[Dict[str, Any]] = None,
        session_cookie: str = "session",
        max_age: Optional[int] = 14 * 24 * 60 * 60,
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: Optional[str] = None,
        partitioned: bool = False,
        absolute_timeout: Union[int, timedelta, None] = None,
    ) -> None:
        _check_options(store, store_options, session_cookie, max_age, path, same_site, domain)
        self.app = app
        if isinstance(store, Store):
            given = store
            self._store = ProcessStore(lambda: given)
        else:
            file = None if store is None else os.fspath(store)
            options: Dict[str, Any] = {
                "idle_timeout": max_age or 14 * 24 * 60 * 60,
                "absolute_timeout": _absolute_timeout(
                    max_age or 14 * 24 * 60 * 60, absolute_timeout
                ),
                "ttl_basis": "last_update",  # the cookie counts from the last change
                # Every worker process of the server opens the file (shared
                # mode has no meaning for a store in memory).
                "shared": file is not None,
            }
            options.update(store_options or {})
            self._store = ProcessStore(lambda: Store(file, **options))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        self.security_flags = "httponly; samesite=" + same_site
        if https_only:
            self.security_flags += "; secure"
        if domain is not None:
            self.security_flags += f"; domain={domain}"
        if partitioned:
            self.security_flags += "; partitioned"

    @property
    def store(self) -> Store:
        """The store, opened on first use in this process."""
        return self._store.get()

    def close(self) -> None:
        """Closes a store this middleware opened (it reopens on next use)."""
        self._store.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        # Read with coatcheck's own parser (every candidate of the name, see
        # session_from_cookie_header), on first access: a route that never
        # looks never reads.
        header = conn.headers.get("cookie")
        session = CoatcheckSession()
        had_cookie = bool(
            header and CookieConfig(self.session_cookie).token_candidates_from_cookie_header(header)
        )
        if header and had_cookie:
            session._cc_pending = (self._store.get, self.session_cookie, header)
        session._cc_meta = {
            "ip": conn.client.host if conn.client else None,
            "user_agent": conn.headers.get("user-agent"),
        }
        scope["session"] = session
        scope[_STORE_KEY] = self._store

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and session.accessed:
                await self._save(session, had_cookie, MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _save(
        self, session: CoatcheckSession, had_cookie: bool, headers: MutableHeaders
    ) -> None:
        headers.add_vary_header("Cookie")
        if not session and not session._cc_keep:
            if session.modified:
                if session.token is not None:
                    token = session.token
                    await _run(lambda: self.store.destroy(token))
                if had_cookie or session.token is not None:
                    headers.append("Set-Cookie", self._cookie("null", clear=True))
            return
        if session.token is None:
            if not session.modified:
                return
            await _run(lambda: _create(self.store, session))
        else:
            sets, removes = diff(session._cc_original, session)
            if sets or removes:
                try:
                    await _run(lambda: apply_changes(self.store, session.token or "", sets, removes))
                except SessionNotFound:  # ended meanwhile: not brought back
                    headers.append("Set-Cookie", self._cookie("null", clear=True))
                    return
                session._cc_original = dict(session)
        if session.modified:
            assert session.token is not None
            headers.append("Set-Cookie", self._cookie(session.token))

    def _cookie(self, value: str, *, clear: bool = False) -> str:
        if clear:
            lifetime = "expires=Thu, 01 Jan 1970 00:00:00 GMT; "
        else:
            lifetime = f"Max-Age={self.max_age}; " if self.max_age is not None else ""
        return f"{self.session_cookie}={value}; path={self.path}; {lifetime}{self.security_flags}"


def _create(store: Store, session: CoatcheckSession) -> None:
    meta = session._cc_meta
    _adopt(
        session,
        store.create(data=dict(session), ip=meta.get("ip"), user_agent=meta.get("user_agent")),
    )


def _adopt(session: CoatcheckSession, s: Session) -> None:
    session.token = s.token
    session.id = s.id
    session.user = s.user
    session._cc_original = s.data
    session._cc_keep = True
    session.mark_modified()


def get_store(conn: HTTPConnection) -> Store:
    """The store of the ``SessionMiddleware`` serving this request (a
    FastAPI dependency too)."""
    store = conn.scope.get(_STORE_KEY)
    if not isinstance(store, ProcessStore):
        raise RuntimeError("coatcheck.starlette.SessionMiddleware is not installed")
    return store.get()


def _session(conn: HTTPConnection) -> CoatcheckSession:
    session = conn.session
    if not isinstance(session, CoatcheckSession):
        raise RuntimeError("coatcheck.starlette.SessionMiddleware is not installed")
    return session


def _flush(store: Store, session: CoatcheckSession) -> str:
    """Writes what the request changed so far (creating the session if it
    is new); returns the token."""
    if session.token is None:
        _create(store, session)
    else:
        sets, removes = diff(session._cc_original, session)
        apply_changes(store, session.token, sets, removes)
        session._cc_original = dict(session)
    assert session.token is not None
    return session.token


async def regenerate(conn: HTTPConnection) -> None:
    """A new token for the same data; the old one stops working at once
    (OWASP: renew the id on any privilege change)."""
    store, session = get_store(conn), _session(conn)

    def work() -> None:
        _adopt(session, store.regenerate(_flush(store, session)))

    await _run(work)


async def login(conn: HTTPConnection, user: str) -> None:
    """Attaches ``user``, keeping the data (the cart), with a new token
    (unless the store has ``regenerate_on_login=False``)."""
    store, session = get_store(conn), _session(conn)

    def work() -> None:
        s = store.login(_flush(store, session), str(user))
        session.user = s.user
        if s.token is not None:
            _adopt(session, s)

    await _run(work)


async def logout(conn: HTTPConnection) -> None:
    """Ends the session: record destroyed, cookie deleted."""
    session = _session(conn)
    if session.token is not None:
        await _run(get_store(conn).logout, session.token)
    session.clear()
    session._cc_keep = False
    session.token = session.id = session.user = None


async def user_sessions(conn: HTTPConnection) -> List[Session]:
    """The live sessions of the session's user (none if anonymous), most
    recently used first. A FastAPI dependency:
    ``sessions = Depends(coatcheck.starlette.user_sessions)``."""
    session = _session(conn)
    if session.user is None:
        return []
    return await _run(get_store(conn).sessions_of, session.user)


async def logout_other_devices(conn: HTTPConnection) -> int:
    """Ends every session of the session's user but this one; how many."""
    session = _session(conn)
    if session.user is None or session.id is None:
        return 0
    return await _run(get_store(conn).destroy_user_except, session.user, session.id)


async def csrf_token(conn: HTTPConnection) -> str:
    """A CSRF token of this session (masked anew each call), creating the
    session if it is new. Send it in a form field or ``X-CSRFToken``."""
    store, session = get_store(conn), _session(conn)
    return await _run(lambda: store.csrf_token(_flush(store, session)))


async def verify_csrf(conn: HTTPConnection, candidate: Optional[str] = None) -> bool:
    """Whether ``candidate`` (default: the ``X-CSRFToken`` or ``X-XSRF-TOKEN``
    header) is a CSRF token of this session; constant time."""
    if candidate is None:
        candidate = conn.headers.get("X-CSRFToken") or conn.headers.get("X-XSRF-TOKEN")
    session = _session(conn)
    if not candidate or session.token is None:
        return False
    try:
        return await _run(get_store(conn).verify_csrf, session.token, candidate)
    except (SessionNotFound, InvalidToken):
        return False
