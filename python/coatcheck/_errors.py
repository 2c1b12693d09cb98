"""The exceptions of coatcheck, one per error kind of the engine.

The native module raises these with the engine's message, which names the
operation that failed and says why. Every exception carries ``kind`` (the
engine's kind name, such as ``"not_found"``) and ``operation`` (``"get"``,
``"login"``…).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

__all__ = [
    "CoatcheckError",
    "SessionNotFound",
    "SessionExpired",
    "SessionRevoked",
    "TokenReuse",
    "Conflict",
    "InvalidToken",
    "InvalidArgument",
    "StoreLocked",
    "StoreCorrupt",
    "StoreIOError",
    "StorageError",
    "AccessTokenExpired",
]


class CoatcheckError(Exception):
    """Base class of every error the engine reports."""

    #: The engine's name for the kind of failure (``"not_found"``, ``"conflict"``…).
    kind: str = "storage"
    #: The operation that failed (``"get"``, ``"open"``…), or ``""``.
    operation: str = ""


class SessionNotFound(CoatcheckError, LookupError):
    """No session under this token or id: never existed, expired, or ended.

    ``SessionExpired`` and ``SessionRevoked`` are subclasses, so code that
    only cares whether the session is there catches this one class.
    """

    kind = "not_found"


class SessionExpired(SessionNotFound):
    """The session's lifetime ran out (until the sweeper removes it)."""

    kind = "expired"
    #: When the session expired (aware UTC datetime).
    expired_at: Optional[datetime] = None


class SessionRevoked(SessionNotFound):
    """The session was ended on purpose; ``reason`` says why.

    ``reason`` is one of ``"logout"``, ``"logout_everywhere"``,
    ``"evicted"``, ``"theft"``, ``"rotated"``, ``"admin"`` or
    ``"binding_mismatch"``, so that an
    app can tell "you were signed out on another device" from "your
    session timed out".
    """

    kind = "revoked"
    #: Why the session ended.
    reason: str = ""


class TokenReuse(CoatcheckError):
    """A spent refresh token was presented again: the session was revoked."""

    kind = "token_reuse"


class Conflict(CoatcheckError):
    """An optimistic write found that the session's version had moved."""

    kind = "conflict"
    #: The version the caller expected.
    expected: int = 0
    #: The version the session is at.
    actual: int = 0


class InvalidToken(CoatcheckError, ValueError):
    """The token is malformed: empty, too long, wrong alphabet or prefix."""

    kind = "invalid_token"


class InvalidArgument(CoatcheckError, ValueError):
    """An argument or a configuration value is out of range."""

    kind = "invalid_argument"


class StoreLocked(CoatcheckError):
    """The store file is open in another Store, in this or another process.

    By default one process owns a store file. To share it between the
    worker processes of a server, open it with ``Store(path, shared=True)``
    in every process (the framework adapters do, unless their options say
    ``"shared": False``).
    """

    kind = "locked"


class StoreCorrupt(CoatcheckError):
    """The file is not a coatcheck store, is from a newer version, or is damaged."""

    kind = "corrupt"


class StoreIOError(CoatcheckError, OSError):
    """The operating system refused a file operation."""

    kind = "io"


class StorageError(CoatcheckError):
    """The storage engine failed, the store is closed, or it was inherited
    through ``fork()`` (open the store in the worker process instead)."""

    kind = "storage"


class AccessTokenExpired(CoatcheckError):
    """The access token's own lifetime ran out (its ``exp`` passed).

    The session may well live on: call ``Store.refresh`` with the refresh
    token, do not sign the user in again. Deliberately not a
    ``SessionNotFound``, so that code which signs users out on a missing
    session does not do so every time an access token lapses.
    """

    kind = "access_expired"
    #: When the access token expired (aware UTC datetime).
    expired_at: Optional[datetime] = None


# Shown and pickled as coatcheck.X, where users import them from.
for _name in __all__:
    globals()[_name].__module__ = "coatcheck"
del _name
