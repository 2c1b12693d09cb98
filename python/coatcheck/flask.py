"""Flask sessions on coatcheck: server-side, the cookie holds only the token.

::

    from flask import Flask, session
    import coatcheck.flask

    app = Flask(__name__)
    app.config["COATCHECK_PATH"] = "sessions.redb"     # default: instance/sessions.redb
    coatcheck.flask.SessionInterface(app)              # or .init_app(app) later

    @app.post("/login")
    def login():
        ...                                            # check the password
        coatcheck.flask.login("ada")                   # new token, cart kept
        return redirect("/")

``flask.session`` behaves as with Flask's cookie sessions: the cookie follows
the ``SESSION_COOKIE_*`` settings (name, domain, path, secure, httponly,
samesite, partitioned); ``session.permanent`` gives a cookie that lasts
``PERMANENT_SESSION_LIFETIME`` (and turns the engine's ``remember`` on),
otherwise a browser-session cookie; ``Vary: Cookie`` is added when the
session was accessed; a request that never touches the session sets no
cookie and writes nothing; an emptied session deletes its cookie and its
record. No ``SECRET_KEY`` is needed: the token is the secret, and the store
keeps only its hash.

Saves write only the keys the request changed (values changed in place
included), so concurrent requests changing different keys both keep their
change; a session ended while a request ran (logged out elsewhere) is not
brought back: its cookie is deleted instead.

Helpers for views: ``login(user)``, ``regenerate()``, ``logout()``,
``csrf_token()`` (also a template global), ``verify_csrf()``,
``user_sessions()``, ``logout_other_devices()``, ``get_store()``.

Config: ``COATCHECK_PATH`` (None: in memory), ``COATCHECK_OPTIONS`` (keywords
for ``coatcheck.Store``; by default ``idle_timeout`` and
``remember_idle_timeout`` are ``PERMANENT_SESSION_LIFETIME``, as Flask's
signed cookies live that long, and ``shared`` is True for a file),
``COATCHECK_ABSOLUTE_TIMEOUT`` (seconds or a ``timedelta``: a session ends
that long after it was created however busy it is, so that a stolen cookie
does not last forever; default 30 days, or ``PERMANENT_SESSION_LIFETIME`` if
longer).

The store opens on first use in each process (so after any ``fork()``), in
shared mode: every worker process of ``gunicorn -w N`` or uWSGI, and any
``flask`` command, uses the same file at once, and a logout in one worker
is refused by all the others on their next request. A single-process server
may set ``COATCHECK_OPTIONS = {"shared": False}`` (exclusive, a little
faster: another process then gets ``StoreLocked``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Dict, List, Optional

from flask import Flask, Request, Response, current_app, has_request_context, request
from flask import session as _session_proxy
from flask.sessions import SecureCookieSession
from flask.sessions import SessionInterface as _FlaskSessionInterface
from flask.sessions import SessionMixin

from coatcheck._adapters import (
    ProcessStore,
    absolute_timeout,
    apply_changes,
    diff,
    session_from_cookie_header,
)
from coatcheck._errors import InvalidToken, SessionNotFound
from coatcheck._native import Session, Store

__all__ = [
    "CoatcheckSession",
    "SessionInterface",
    "csrf_token",
    "get_store",
    "login",
    "logout",
    "logout_other_devices",
    "regenerate",
    "user_sessions",
    "verify_csrf",
]

#: Flask keeps ``session.permanent`` under this key; coatcheck keeps it as
#: the session's ``remember`` flag instead.
PERMANENT_KEY = "_permanent"


class CoatcheckSession(SecureCookieSession):
    """``flask.session``: a dict that tracks ``accessed`` and ``modified``
    like Flask's own, plus the coatcheck ``token`` (None until created)."""

    def __init__(
        self,
        initial: Optional[Dict[str, Any]] = None,
        token: Optional[str] = None,
        *,
        user: Optional[str] = None,
        id: Optional[str] = None,
    ) -> None:
        super().__init__(initial)
        self.token = token
        self.new = token is None
        #: The engine's user of this session, if any.
        self.user = user
        #: The session's public id (None until it exists).
        self.id = id
        self._cc_original: Dict[str, Any] = dict(initial or {})
        self._cc_permanent = bool(self._cc_original.pop(PERMANENT_KEY, False))
        self._cc_had_cookie = False
        # Created by a helper (csrf_token, login): kept even while empty.
        self._cc_keep = False
        # A save of this request raised: the error response saves nothing.
        self._cc_save_failed = False

    def _stored(self) -> Dict[str, Any]:
        return {k: v for k, v in self.items() if k != PERMANENT_KEY}


class SessionInterface(_FlaskSessionInterface):
    """Server-side Flask sessions in a coatcheck store (see the module doc).

    ``SessionInterface(app)`` installs itself as ``app.session_interface``;
    ``SessionInterface()`` then ``init_app(app)`` works too.
    """

    session_class = CoatcheckSession

    def __init__(self, app: Optional[Flask] = None) -> None:
        self._app: Optional[Flask] = None
        self._store = ProcessStore(self._open)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault("COATCHECK_PATH", os.path.join(app.instance_path, "sessions.redb"))
        app.config.setdefault("COATCHECK_OPTIONS", {})
        app.session_interface = self
        app.extensions["coatcheck"] = self
        app.jinja_env.globals["csrf_token"] = csrf_token
        self._app = app

    def _open(self) -> Store:
        assert self._app is not None, "coatcheck.flask.SessionInterface: call init_app(app) first"
        config = self._app.config
        lifetime = self._app.permanent_session_lifetime
        hard_limit = absolute_timeout(lifetime, config.get("COATCHECK_ABSOLUTE_TIMEOUT"))
        options: Dict[str, Any] = {
            "idle_timeout": lifetime,
            "absolute_timeout": hard_limit,
            "remember_idle_timeout": lifetime,
            "remember_absolute_timeout": hard_limit,
        }
        options.update(config["COATCHECK_OPTIONS"] or {})
        path = config["COATCHECK_PATH"]
        # Every worker process (and the flask command) opens the one file.
        options.setdefault("shared", path is not None)
        if path is not None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return Store(path, **options)

    @property
    def store(self) -> Store:
        """The process's store, opened on first use."""
        return self._store.get()

    def close(self) -> None:
        """Closes the store (it reopens on next use)."""
        self._store.close()

    # -- Flask's SessionInterface --------------------------------------------

    def open_session(self, app: Flask, request: Request) -> CoatcheckSession:
        had_cookie, found = session_from_cookie_header(
            self.store, self.get_cookie_name(app), request.headers.get("Cookie")
        )
        if found is None:
            session = self.session_class()
            session._cc_had_cookie = had_cookie
            return session
        token, s = found
        data = s.data
        if s.remember:
            data[PERMANENT_KEY] = True
        session = self.session_class(data, token, user=s.user, id=s.id)
        session._cc_had_cookie = True
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, CoatcheckSession) or session._cc_save_failed:
            # ``open_session`` failed (the store could not be opened), or this
            # save already did: Flask reports that error; nothing to save, and
            # no second, misleading traceback from here.
            return
        try:
            self._save(app, session, response)
        except BaseException:
            session._cc_save_failed = True  # Flask's error handling saves again
            raise

    def _save(self, app: Flask, session: CoatcheckSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        if session.accessed:
            response.vary.add("Cookie")

        def delete_cookie() -> None:
            response.delete_cookie(
                name,
                domain=domain,
                path=path,
                secure=secure,
                partitioned=partitioned,
                samesite=samesite,
                httponly=httponly,
            )
            response.vary.add("Cookie")

        if not session and not session._cc_keep:
            if session.modified:
                if session.token is not None:
                    self.store.destroy(session.token)
                if session._cc_had_cookie or session.token is not None:
                    delete_cookie()
            return

        store = self.store
        token = session.token
        created = False
        permanent = bool(session.permanent)
        if token is None:
            if not session.modified:
                return
            _create(store, session)
            token = session.token
            created = True
        else:
            sets, removes = diff(session._cc_original, session._stored())
            try:
                apply_changes(store, token, sets, removes)
                if permanent != session._cc_permanent:
                    store.set_remember(token, permanent)
            except SessionNotFound:
                # Ended while the request ran (logged out elsewhere): do not
                # bring it back; the browser forgets it.
                delete_cookie()
                return
            if sets or removes:
                session.modified = True
        session._cc_original = session._stored()
        session._cc_permanent = permanent

        if not (created or self.should_set_cookie(app, session)):
            return
        assert token is not None
        response.set_cookie(
            name,
            token,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")


def _create(store: Store, session: CoatcheckSession) -> None:
    """Writes a new session holding ``session``'s data now."""
    meta: Dict[str, Optional[str]] = {}
    if has_request_context():
        meta = {"ip": request.remote_addr, "user_agent": request.headers.get("User-Agent")}
    s = store.create(
        data=session._stored(),
        remember=bool(session.permanent),
        ip=meta.get("ip"),
        user_agent=meta.get("user_agent"),
    )
    _adopt(session, s)


def _adopt(session: CoatcheckSession, s: Session) -> None:
    """Points ``session`` at ``s`` (new token), whose cookie must be sent."""
    session.token = s.token
    session.id = s.id
    session.user = s.user
    session._cc_original = s.data
    session._cc_permanent = s.remember
    session._cc_keep = True
    session.modified = True


def _current() -> CoatcheckSession:
    session = _session_proxy._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(session, CoatcheckSession):
        raise RuntimeError(
            "coatcheck.flask helpers need coatcheck.flask.SessionInterface as "
            "app.session_interface"
        )
    return session


def _interface() -> SessionInterface:
    interface = current_app.session_interface
    assert isinstance(interface, SessionInterface)
    return interface


def get_store() -> Store:
    """The current app's coatcheck store."""
    return _interface().store


def _ensure(session: CoatcheckSession) -> str:
    """The session's token, creating the session now if it is new."""
    if session.token is None:
        _create(get_store(), session)
    assert session.token is not None
    return session.token


def _save_pending(session: CoatcheckSession) -> None:
    """Writes what the request changed so far, before the token changes."""
    store = get_store()
    token = _ensure(session)
    sets, removes = diff(session._cc_original, session._stored())
    apply_changes(store, token, sets, removes)
    session._cc_original = session._stored()


def regenerate() -> None:
    """Gives the session a new token, keeping its data; the old token stops
    working at once. Call it on any privilege change (OWASP: session
    fixation); ``login`` does it for you."""
    session = _current()
    _save_pending(session)
    _adopt(session, get_store().regenerate(session.token or ""))


def login(user: str) -> None:
    """Attaches ``user`` to the session, keeping its data (the cart), with a
    new token (unless ``regenerate_on_login=False`` in ``COATCHECK_OPTIONS``)."""
    session = _current()
    _save_pending(session)
    s = get_store().login(session.token or "", str(user))
    session.user = s.user
    if s.token is not None:
        _adopt(session, s)


def logout() -> None:
    """Ends the session: its record is destroyed and its cookie deleted."""
    session = _current()
    if session.token is not None:
        get_store().logout(session.token)
    session.clear()
    session._cc_keep = False
    session.token = None
    session.user = None
    session.id = None


def user_sessions() -> List[Session]:
    """The live sessions of the session's user (none if anonymous), most
    recently used first: a "your devices" page. Mark this one by ``id``."""
    session = _current()
    return [] if session.user is None else get_store().sessions_of(session.user)


def logout_other_devices() -> int:
    """Ends every session of the session's user but this one; how many."""
    session = _current()
    if session.user is None or session.id is None:
        return 0
    return get_store().destroy_user_except(session.user, session.id)


def csrf_token() -> str:
    """A CSRF token for a form of this session (masked anew on each call,
    BREACH-safe). A template global too: ``{{ csrf_token() }}``. Creates the
    session if it is new, so that the token can be checked later."""
    return get_store().csrf_token(_ensure(_current()))


def verify_csrf(candidate: Optional[str] = None) -> bool:
    """Whether ``candidate`` is a CSRF token of this session; by default the
    ``csrf_token`` form field or the ``X-CSRFToken``/``X-XSRF-TOKEN`` header
    of the current request. Constant time; False without a session."""
    if candidate is None:
        candidate = (
            request.form.get("csrf_token")
            or request.headers.get("X-CSRFToken")
            or request.headers.get("X-XSRF-TOKEN")
        )
    session = _current()
    if not candidate or session.token is None:
        return False
    try:
        return get_store().verify_csrf(session.token, candidate)
    except (SessionNotFound, InvalidToken):
        return False
