"""What the framework adapters (``coatcheck.django``, ``coatcheck.flask``,
``coatcheck.starlette``) share: one store per process, opened lazily, and
"write only the keys this request changed".

No session logic lives here: the engine does the work (``set``, ``update``,
``update_with``); this module only works out which keys a request changed,
by comparing the data it loaded with the data it ends with.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple, Union

from coatcheck._errors import InvalidToken, SessionNotFound
from coatcheck._native import CookieConfig, Session, Store

__all__ = [
    "ProcessStore",
    "diff",
    "apply_changes",
    "same_value",
    "session_from_cookie_header",
    "absolute_timeout",
    "DEFAULT_ABSOLUTE_TIMEOUT",
]

#: The adapters' default hard limit on a session, counted from its creation
#: (OWASP: an absolute timeout bounds what a stolen cookie is worth): 30
#: days, or the idle timeout if that is longer. One setting changes it:
#: Django ``COATCHECK_ABSOLUTE_TIMEOUT``, Flask
#: ``app.config["COATCHECK_ABSOLUTE_TIMEOUT"]``, Starlette
#: ``SessionMiddleware(absolute_timeout=...)``.
DEFAULT_ABSOLUTE_TIMEOUT = timedelta(days=30)


def absolute_timeout(
    idle: Union[int, float, timedelta], setting: Union[int, float, timedelta, None]
) -> timedelta:
    """The absolute timeout an adapter passes to the store: the setting if
    given (seconds or a ``timedelta``), else ``DEFAULT_ABSOLUTE_TIMEOUT``,
    and never shorter than the idle timeout (which the store requires)."""
    chosen = DEFAULT_ABSOLUTE_TIMEOUT if setting is None else _as_delta(setting)
    return max(chosen, _as_delta(idle))


def _as_delta(value: Union[int, float, timedelta]) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class ProcessStore:
    """One ``Store`` per process, opened on first use and shared by threads.

    Opening lazily means a store is never inherited through ``fork()``
    (gunicorn ``--preload``, uWSGI without lazy-apps): each worker opens its
    own on its first request. A store seen from another process id than the
    one that opened it is dropped (never used, never closed: the file belongs
    to the parent) and a new one is opened.
    """

    def __init__(self, opener: Callable[[], Store]) -> None:
        self._opener = opener
        self._lock = threading.Lock()
        self._store: Optional[Store] = None
        self._pid = 0

    def get(self) -> Store:
        """The process's store, opened now if needed."""
        store = self._store
        if store is not None and self._pid == os.getpid():
            return store
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                self._store = self._opener()
                self._pid = os.getpid()
            return self._store

    def close(self) -> None:
        """Closes the store (if this process opened one); the next ``get``
        opens it again, with the configuration in force then."""
        with self._lock:
            store, self._store = self._store, None
            if store is not None and self._pid == os.getpid():
                store.close()

    @property
    def is_open(self) -> bool:
        return self._store is not None and self._pid == os.getpid()


def same_value(a: Any, b: Any) -> bool:
    """Equality that also compares types, so that ``1 -> True`` or
    ``1 -> 1.0`` count as changes (``==`` says they are equal)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return bool(a == b)


def diff(
    original: Mapping[str, Any], current: Mapping[str, Any]
) -> Tuple[Dict[str, Any], List[str]]:
    """The keys to write (new or changed values) and the keys to remove,
    to turn ``original`` into ``current``. A value changed in place (a list
    appended to) counts as changed, as ``original`` is a separate copy."""
    sets = {
        k: v for k, v in current.items() if k not in original or not same_value(original[k], v)
    }
    removes = [k for k in original if k not in current]
    return sets, removes


def apply_changes(store: Store, token: str, sets: Mapping[str, Any], removes: List[str]) -> None:
    """Writes ``sets`` and removes ``removes`` in one atomic engine call, so
    that keys another request changed meanwhile keep their values.

    Raises ``SessionNotFound`` (or a subclass) if the session ended meanwhile:
    nothing is written then, and no session comes back.
    """
    if removes:

        def change(data: Dict[str, Any]) -> None:
            data.update(sets)
            for key in removes:
                data.pop(key, None)

        store.update_with(token, change)
    elif len(sets) == 1:
        ((key, value),) = sets.items()
        store.set(token, key, value)
    elif sets:
        store.update(token, sets)


def session_from_cookie_header(
    store: Store, cookie_name: str, header: Optional[str]
) -> Tuple[bool, Optional[Tuple[str, Session]]]:
    """Reads the session cookie with coatcheck's own parser (not the
    framework's): whether the request carried one, and the token and
    session of the first candidate whose session lives.

    Several cookies of the session's name come from cookie tossing (a
    sibling subdomain planting one with ``Domain=``) or a stale cookie under
    another path: taking the first live one means a planted or stale cookie
    cannot lock a user out. A ``__Host-`` cookie name keeps siblings out.
    """
    if not header:
        return False, None
    candidates = CookieConfig(cookie_name).token_candidates_from_cookie_header(header)
    for token in candidates:
        try:
            return True, (token, store.get(token))
        except (SessionNotFound, InvalidToken):
            continue
    return bool(candidates), None
