"""Django sessions on coatcheck: ``SESSION_ENGINE = "coatcheck.django"``.

In ``settings.py``::

    SESSION_ENGINE = "coatcheck.django"
    COATCHECK_PATH = BASE_DIR / "sessions.redb"        # the default
    COATCHECK_OPTIONS = {"durability": "immediate"}    # optional Store(...) keywords

Everything Django documents for a session backend holds: ``request.session``
is the usual ``SessionBase``; ``SESSION_COOKIE_AGE``,
``SESSION_EXPIRE_AT_BROWSER_CLOSE``, ``SESSION_SAVE_EVERY_REQUEST`` and
``set_expiry`` are honoured; ``manage.py clearsessions`` sweeps expired
sessions; ``cycle_key`` (which ``django.contrib.auth.login`` calls) gives a
new key and keeps the data, and the old key stops working at once.

What is better than Django's own backends:

- **No lost update.** A save writes only the keys the request changed, in
  one atomic engine call: two concurrent requests that change different
  keys both keep their change (``db`` and ``cache`` write the whole
  session, so the last one wins).
- **A session ended stays ended.** A save never brings back a session that
  was deleted (logged out) while the request ran: it raises ``UpdateError``,
  which Django's middleware turns into ``SessionInterrupted``.
- **Users' sessions.** Once ``django.contrib.auth`` logs a user in, the
  session is attached to that user in the engine:
  ``request.session.coatcheck_sessions()`` lists the user's sessions (a
  "your devices" page), ``request.session.coatcheck_logout_other_devices()``
  ends all the others.

The session key Django puts in the cookie is the coatcheck token; the file
stores only its SHA-256 (the session ``id``), never the key itself.

**Every worker process, one file.** The store is opened in shared mode
(``coatcheck.Store(path, shared=True)``), so the worker processes of one
machine (``gunicorn -w 4``, uWSGI, ``runserver``) and any ``manage.py``
command (``clearsessions`` from cron) use the same file at once: a logout
in one worker is refused by every other on its next request. Each process
opens its store lazily, on first use (so after any ``fork()``: gunicorn
``--preload`` is safe as long as the master serves no request), and shares
it between its threads. A server with one process only may set
``COATCHECK_OPTIONS = {"shared": False}`` (exclusive, a little faster: a
second process then gets ``StoreLocked``).

Defaults passed to ``coatcheck.Store`` (``COATCHECK_OPTIONS`` overrides any):
``shared=True`` (unless ``COATCHECK_PATH`` is None: in memory);
``idle_timeout=SESSION_COOKIE_AGE``; ``ttl_basis="last_update"`` (Django
counts the age from the last save), or ``"last_access"`` with
``SESSION_SAVE_EVERY_REQUEST``; ``absolute_timeout`` from
``COATCHECK_ABSOLUTE_TIMEOUT`` (seconds or a ``timedelta``; default 30 days,
or ``SESSION_COOKIE_AGE`` if longer): Django has no hard limit of its own,
but a session signed in a month ago must sign in again however busy it has
been, so that a stolen cookie does not last forever;
``regenerate_on_login=False``
(Django's ``login`` already cycles the key).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.contrib.sessions.middleware import SessionMiddleware as _DjangoSessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest

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
    "SessionStore",
    "SessionMiddleware",
    "get_store",
    "close_store",
    "CreateError",
    "UpdateError",
]

#: Where ``django.contrib.auth`` keeps the logged-in user's id.
AUTH_USER_KEY = "_auth_user_id"
#: Where ``SessionBase.set_expiry`` keeps a session's own expiry.
EXPIRY_KEY = "_session_expiry"
_SETTINGS = frozenset(
    {
        "COATCHECK_PATH",
        "COATCHECK_OPTIONS",
        "COATCHECK_ABSOLUTE_TIMEOUT",
        "SESSION_COOKIE_AGE",
        "SESSION_SAVE_EVERY_REQUEST",
    }
)
_MISSING = object()


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _options() -> Dict[str, Any]:
    """The keywords for ``coatcheck.Store``: defaults from Django's
    settings, then ``COATCHECK_OPTIONS``."""
    options: Dict[str, Any] = {
        "idle_timeout": int(settings.SESSION_COOKIE_AGE),
        "absolute_timeout": absolute_timeout(
            settings.SESSION_COOKIE_AGE, getattr(settings, "COATCHECK_ABSOLUTE_TIMEOUT", None)
        ),
        "ttl_basis": "last_access" if settings.SESSION_SAVE_EVERY_REQUEST else "last_update",
        "regenerate_on_login": False,
    }
    options.update(getattr(settings, "COATCHECK_OPTIONS", None) or {})
    return options


def _path() -> Optional[str]:
    path = getattr(settings, "COATCHECK_PATH", _MISSING)
    if path is _MISSING:
        base_dir = getattr(settings, "BASE_DIR", None)
        if base_dir is None:
            raise ImproperlyConfigured(
                "coatcheck.django needs COATCHECK_PATH (the session file) or BASE_DIR "
                "(it then uses BASE_DIR / 'sessions.redb'); COATCHECK_PATH = None keeps "
                "sessions in memory"
            )
        return str(base_dir) + "/sessions.redb"
    return None if path is None else str(path)


def _open() -> Store:
    path = _path()
    options = _options()
    # Every worker process (and manage.py) opens the one file.
    options.setdefault("shared", path is not None)
    return Store(path, **options)


_store = ProcessStore(_open)


def get_store() -> Store:
    """The process's ``coatcheck.Store`` for Django sessions, opened on first
    use with ``COATCHECK_PATH`` and ``COATCHECK_OPTIONS``."""
    return _store.get()


def close_store() -> None:
    """Closes the process's store (it reopens on next use). Changing a
    coatcheck or session setting in tests (``override_settings``) does this."""
    _store.close()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        close_store()


setting_changed.connect(_on_setting_changed, dispatch_uid="coatcheck.django.settings")


def _default_lifetime() -> Tuple[float, float]:
    options = _options()
    return _seconds(options["idle_timeout"]), _seconds(options["absolute_timeout"])


class SessionStore(SessionBase):
    """A Django session kept by coatcheck (see the module's doc).

    ``session_key`` is the coatcheck token. Beyond ``SessionBase``:
    ``coatcheck_id`` (the public id), ``coatcheck_session()``,
    ``coatcheck_sessions()`` and ``coatcheck_logout_other_devices()``.
    """

    if TYPE_CHECKING:  # SessionBase's internals, which django-stubs omits

        def _get_session(self, no_load: bool = False) -> Dict[str, Any]: ...

        @property
        def _session(self) -> Dict[str, Any]: ...

    def __init__(self, session_key: Optional[str] = None) -> None:
        super().__init__(session_key)
        # The data as loaded or last saved, to tell what a request changed;
        # None when unknown (after ``clear()``): a save then replaces it all.
        # Right after a load it is read from the loaded snapshot, at save.
        self._cc_original_data: Optional[Dict[str, Any]] = None
        self._cc_loaded: Optional[Session] = None
        self._cc_user: Optional[str] = None
        self._cc_id: Optional[str] = None
        self._cc_created: Optional[datetime] = None
        #: ``ip`` and ``user_agent`` given to new sessions (set by
        #: ``coatcheck.django.SessionMiddleware``), for "your devices".
        self.coatcheck_meta: Dict[str, Optional[str]] = {}

    # -- the backend contract ------------------------------------------------

    def exists(self, session_key: str) -> bool:
        if not session_key:
            return False
        try:
            get_store().peek(session_key)
        except (SessionNotFound, InvalidToken):
            return False
        return True

    def load(self) -> Dict[str, Any]:
        """The session's data; a missing, expired, ended or malformed key
        gives an empty session and no key (a save then creates a new one)."""
        key = self.session_key
        if key is None:
            return {}
        try:
            s = get_store().get(key)
        except (SessionNotFound, InvalidToken):
            self._session_key = None
            self._cc_original = {}
            return {}
        self._remember(s)
        return s.data

    def create(self) -> None:
        """Creates a session holding the current data (empty for a new
        session) with a new key, written before this returns."""
        data = self._get_session(no_load=True)
        lifetime = self._new_lifetime(data)
        user = data.get(AUTH_USER_KEY)
        store = get_store()
        s = store.create(
            data=data,
            user=None if user is None else str(user),
            lifetime=lifetime,
            ip=self.coatcheck_meta.get("ip"),
            user_agent=self.coatcheck_meta.get("user_agent"),
        )
        assert s.token is not None
        self._session_key = s.token
        self._remember(s)
        self.modified = True
        age = self._expiry_seconds(data)
        if age is not None and age <= 0:  # an expiry in the past: expired now
            store.destroy(s.token)

    def save(self, must_create: bool = False) -> None:
        """Writes the keys this request changed.

        Without a key, creates the session. ``must_create=True`` raises
        ``CreateError`` if the key names a live session (the engine issues
        keys, it does not take them: otherwise a new session is created).
        ``UpdateError`` if the session ended (deleted, logged out, expired)
        since it was loaded: nothing is written and nothing comes back.
        """
        if self.session_key is None:
            return self.create()
        if must_create:
            if self.exists(self.session_key):
                raise CreateError
            return self.create()
        data = self._get_session()
        key = self.session_key
        if key is None:  # loading found no session: Django's backends refuse
            raise UpdateError
        store = get_store()
        try:
            if self._cc_original is None:
                replacement = dict(data)

                def replace(stored: Dict[str, Any]) -> None:
                    stored.clear()
                    stored.update(replacement)

                store.update_with(key, replace)
                sets: Dict[str, Any] = dict(data)
                removes: List[str] = []
            else:
                sets, removes = diff(self._cc_original, data)
                if sets or removes:
                    apply_changes(store, key, sets, removes)
                else:
                    store.peek(key)  # a deleted session is an UpdateError still
            if self._cc_original is None or EXPIRY_KEY in sets or EXPIRY_KEY in removes:
                self._apply_expiry(store, key)
            self._attach_user(store, data)
        except (SessionNotFound, InvalidToken) as e:
            raise UpdateError(str(e)) from e
        self._cc_original = _copy(data)

    def delete(self, session_key: Optional[str] = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            get_store().destroy(session_key)
        except InvalidToken:
            pass

    def cycle_key(self) -> None:
        """A new key for the same data (the engine's ``regenerate``): the old
        key stops working at once. Django's ``login`` calls this."""
        data = self._session
        key = self.session_key
        if key is not None:
            try:
                s = get_store().regenerate(key)
            except (SessionNotFound, InvalidToken):
                pass
            else:
                assert s.token is not None
                self._session_key = s.token
                self._cc_id = s.id
                self._cc_user = s.user
                self._session_cache = data
                self.modified = True
                return
        self.create()
        self._session_cache = data

    async def acycle_key(self) -> None:
        await sync_to_async(self.cycle_key)()

    @classmethod
    def clear_expired(cls) -> None:
        """Removes expired sessions (``manage.py clearsessions``). The
        store's background sweeper does this anyway, every minute."""
        get_store().sweep()

    # -- coatcheck extras ----------------------------------------------------

    @property
    def coatcheck_store(self) -> Store:
        """The process's ``coatcheck.Store``."""
        return get_store()

    @property
    def coatcheck_id(self) -> Optional[str]:
        """The session's public id (SHA-256 of the key), or None before it
        exists: compare with ``Session.id`` to mark "this device"."""
        self._session  # noqa: B018 - loads the session
        return self._cc_id

    def coatcheck_session(self) -> Optional[Session]:
        """The engine's view of this session (timestamps, meta, user), or None."""
        if self.coatcheck_id is None:
            return None
        try:
            return get_store().info(self._cc_id or "")
        except SessionNotFound:
            return None

    def coatcheck_sessions(self) -> List[Session]:
        """The live sessions of the logged-in user, most recently used first
        (no tokens); empty for an anonymous session."""
        user = self.get(AUTH_USER_KEY)
        return [] if user is None else get_store().sessions_of(str(user))

    def coatcheck_logout_other_devices(self) -> int:
        """Ends every session of the logged-in user but this one; how many."""
        user = self.get(AUTH_USER_KEY)
        if user is None:
            return 0
        return get_store().destroy_user_except(str(user), self.coatcheck_id or "")

    # -- internals -----------------------------------------------------------

    @property
    def _cc_original(self) -> Optional[Dict[str, Any]]:
        if self._cc_loaded is not None:  # a second copy only when needed
            self._cc_original_data, self._cc_loaded = self._cc_loaded.data, None
        return self._cc_original_data

    @_cc_original.setter
    def _cc_original(self, value: Optional[Dict[str, Any]]) -> None:
        self._cc_original_data, self._cc_loaded = value, None

    def _remember(self, s: Session) -> None:
        self._cc_loaded = s
        self._cc_user = s.user
        self._cc_id = s.id
        self._cc_created = s.created_at

    def _attach_user(self, store: Store, data: Dict[str, Any]) -> None:
        """Attaches the session to the user ``django.contrib.auth`` logged in."""
        user = data.get(AUTH_USER_KEY)
        if user is None or str(user) == self._cc_user:
            return
        s = store.login(self.session_key or "", str(user))
        self._cc_user = s.user
        if s.token is not None:  # COATCHECK_OPTIONS turned regenerate_on_login on
            self._session_key = s.token
            self._cc_id = s.id

    def _expiry_seconds(self, data: Dict[str, Any]) -> Optional[float]:
        """Seconds the session has left under ``set_expiry``, from now; None
        when it follows the default (no expiry, or 0: browser close)."""
        expiry = data.get(EXPIRY_KEY)
        if not expiry:
            return None
        return float(self.get_expiry_age(expiry=expiry))

    def _new_lifetime(self, data: Dict[str, Any]) -> Optional[Tuple[float, float]]:
        age = self._expiry_seconds(data)
        if age is None:
            return None
        if age <= 0:  # already over: ``create`` ends it at once
            return None
        if isinstance(data.get(EXPIRY_KEY), str):  # a date: a fixed end
            return age, age
        return age, max(age, _default_lifetime()[1])

    def _apply_expiry(self, store: Store, key: str) -> None:
        """Gives the session the lifetime ``set_expiry`` asked for."""
        data = self._get_session()
        age = self._expiry_seconds(data)
        if age is None:
            lifetime = _default_lifetime()
        elif age <= 0:  # an expiry in the past: expired now
            store.destroy(key)
            return
        elif isinstance(data.get(EXPIRY_KEY), str):
            # A date: fixed, counted from creation, whatever happens next.
            now = store.now()  # the engine's clock, which decides expiry
            created = self._cc_created or now
            since = max((now - created).total_seconds(), 0.0)
            lifetime = (since + age, since + age)
        else:
            lifetime = (age, max(age, _default_lifetime()[1]))
        store.set_lifetime(key, lifetime)


def _copy(data: Dict[str, Any]) -> Dict[str, Any]:
    """A deep copy of session data (plain JSON-like values)."""
    import copy

    return copy.deepcopy(data)


class SessionMiddleware(_DjangoSessionMiddleware):
    """Django's ``SessionMiddleware``, which also records the client's IP
    address and ``User-Agent`` on new sessions (shown on a "your devices"
    page), and reads the session cookie with coatcheck's parser: of several
    cookies of the session's name (cookie tossing from a sibling
    subdomain), the first whose session lives is used, where Django would
    take the last one. Use it in place of ``django.contrib.sessions.
    middleware.SessionMiddleware``; the plain one works too, without these."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        session: Union[SessionBase, SessionStore] = request.session
        if isinstance(session, SessionStore):
            header = request.META.get("HTTP_COOKIE")
            if header and header.count(settings.SESSION_COOKIE_NAME + "=") > 1:
                _, found = session_from_cookie_header(
                    get_store(), settings.SESSION_COOKIE_NAME, header
                )
                if found is not None:
                    session = request.session = self.SessionStore(found[0])
            assert isinstance(session, SessionStore)
            session.coatcheck_meta = {
                "ip": request.META.get("REMOTE_ADDR"),
                "user_agent": request.META.get("HTTP_USER_AGENT"),
            }
