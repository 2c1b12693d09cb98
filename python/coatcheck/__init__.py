"""coatcheck: an embedded session engine for Python web apps.

Sessions live in one redb file next to your app, served by a Rust engine
with the GIL released::

    from datetime import timedelta
    import coatcheck

    with coatcheck.Store("sessions.redb", idle_timeout=timedelta(minutes=30)) as store:
        s = store.create(data={"cart": []})
        store.set(s.token, "theme", "dark")
        assert store.get(s.token).data == {"cart": [], "theme": "dark"}

See ``Store`` for the operations, and the exceptions under
``CoatcheckError`` for what can go wrong.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from coatcheck._errors import (
    AccessTokenExpired,
    CoatcheckError,
    Conflict,
    InvalidArgument,
    InvalidToken,
    SessionExpired,
    SessionNotFound,
    SessionRevoked,
    StorageError,
    StoreCorrupt,
    StoreIOError,
    StoreLocked,
    TokenReuse,
)
from coatcheck._native import (
    Lifetime,
    ManualClock,
    Meta,
    Session,
    Stats,
    Store,
    TokenPair,
    Transaction,
)
from coatcheck import http

try:
    __version__ = version("coatcheck")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AccessTokenExpired",
    "CoatcheckError",
    "Conflict",
    "InvalidArgument",
    "InvalidToken",
    "Lifetime",
    "ManualClock",
    "Meta",
    "Session",
    "SessionExpired",
    "SessionNotFound",
    "SessionRevoked",
    "Stats",
    "StorageError",
    "Store",
    "StoreCorrupt",
    "StoreIOError",
    "StoreLocked",
    "TokenPair",
    "TokenReuse",
    "Transaction",
    "__version__",
    "http",
]
