"""The native module of coatcheck (Rust, pyo3). Import from ``coatcheck``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Dict, List, Literal, Optional, Tuple, TypedDict, TypeVar, Union

from typing_extensions import Self, TypeAlias

#: What a session holds: dict, list, str, int (64-bit), float, bool, None,
#: bytes. Tuples are stored as lists; bytearray as bytes.
Value: TypeAlias = Any
#: A duration: a ``timedelta`` or a number of seconds.
Duration: TypeAlias = Union[timedelta, int, float]
#: A lifetime: a ``Lifetime`` or an ``(idle, absolute)`` pair.
LifetimeLike: TypeAlias = Union["Lifetime", Tuple[Duration, Duration]]

_R = TypeVar("_R")

class Session:
    """A session as the call that returned it saw it: an immutable snapshot.

    Changing ``data`` changes nothing in the store (``data`` is a new dict on
    every access): write with ``Store.set``, ``update`` or ``transaction``.
    ``repr`` never shows the token. Sessions cannot be pickled (they may
    carry the secret token); ``copy.copy`` returns the same object.
    """

    @property
    def token(self) -> Optional[str]:
        """The secret token: only on the value returned by ``create``,
        ``regenerate`` and ``login`` (the one moment it exists in clear);
        None on every other read."""
    @property
    def id(self) -> str:
        """The public id: SHA-256 of the token, 64 lowercase hex digits.
        Admin operations (``info``, ``destroy_id``) use it."""
    @property
    def user(self) -> Optional[str]:
        """The user id, or None for an anonymous session."""
    @property
    def data(self) -> Dict[str, Value]:
        """The data, as a new dict on every access."""
    @property
    def created_at(self) -> datetime:
        """When the session was created (aware UTC, millisecond precision)."""
    @property
    def last_access(self) -> datetime:
        """When the session was last used."""
    @property
    def last_update(self) -> datetime:
        """When its data, flash or user last changed."""
    @property
    def expires_at(self) -> datetime:
        """When it expires if it is not used again."""
    @property
    def remember(self) -> bool:
        """Whether this is a "keep me signed in" session (long lifetime)."""
    @property
    def version(self) -> int:
        """Increases by one on every change of data, flash or user."""
    @property
    def pending_flash(self) -> int:
        """How many flash values wait for ``take_flash``."""
    @property
    def lifetime(self) -> Lifetime:
        """The lifetime in force for this session."""
    @property
    def has_custom_lifetime(self) -> bool:
        """Whether the lifetime was set for this session (at create or with
        ``set_lifetime``) rather than taken from the store's configuration."""
    @property
    def meta(self) -> Meta:
        """Where the session came from: ip, user agent, label."""
    def __getitem__(self, key: str) -> Value:
        """One value of the data; ``KeyError`` if absent."""
    def __contains__(self, key: str) -> bool:
        """Whether the data has ``key``."""
    def get(self, key: str, default: Value = None) -> Value:
        """One value of the data, or ``default``."""
    def __copy__(self) -> Self: ...
    def __deepcopy__(self, memo: Any) -> Self: ...

class Meta:
    """Where a session came from, shown on a "your devices" page."""

    def __init__(
        self,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        label: Optional[str] = None,
    ) -> None: ...
    @property
    def ip(self) -> Optional[str]:
        """The client's IP address, as the server saw it."""
    @property
    def user_agent(self) -> Optional[str]:
        """The client's ``User-Agent``."""
    @property
    def label(self) -> Optional[str]:
        """A free-form label, such as a device name."""

class Lifetime:
    """An idle (sliding) timeout and an absolute one, counted from creation.

    ``expires_at = min(basis + idle, created_at + absolute)``.
    """

    def __init__(self, idle: Duration, absolute: Duration) -> None: ...
    @property
    def idle(self) -> timedelta:
        """The session ends after this long without use."""
    @property
    def absolute(self) -> timedelta:
        """The session ends this long after it was created, however busy."""

class CheckReport(TypedDict):
    """What ``Store.check()`` found."""

    sessions: int
    ended: int
    refresh_tokens: int
    damaged_records: int
    problems: List[str]

class RepairReport(TypedDict):
    """What ``Store.repair(path)`` did."""

    was_sound: bool
    salvaged: int
    skipped: int
    damaged_copy: Optional[str]

class Stats:
    """Counters and sizes of a store, from ``Store.stats()``."""

    @property
    def sessions(self) -> int:
        """Live sessions."""
    @property
    def users(self) -> int:
        """Users with at least one live session."""
    @property
    def file_bytes(self) -> int:
        """Size of the store file (0 in memory)."""
    @property
    def commits(self) -> int:
        """Write transactions committed since open."""
    @property
    def durable_commits(self) -> int:
        """Of those, the ones made durable (one fsync each)."""
    @property
    def sessions_swept(self) -> int:
        """Sessions removed by sweeps since open."""
    @property
    def cache_hits(self) -> int:
        """Reads served from the cache."""
    @property
    def cache_misses(self) -> int:
        """Reads that went to storage."""
    @property
    def events_dropped(self) -> int:
        """Session events dropped because the hook's queue was full."""

class TokenPair:
    """An access token (a JWT, HS256, with ``sid`` and ``exp`` claims) and
    an opaque, single-use refresh token, from ``Store.issue_pair`` or
    ``Store.refresh``. ``repr`` hides both; it cannot be pickled."""

    @property
    def access(self) -> str:
        """The access token: send it as ``Authorization: Bearer …``."""
    @property
    def access_expires_at(self) -> datetime:
        """When the access token expires (its ``exp`` claim)."""
    @property
    def refresh(self) -> str:
        """The refresh token: keep it secret, present it once to ``refresh``."""
    @property
    def refresh_expires_at(self) -> datetime:
        """When the refresh token expires."""

class CookieConfig:
    """How the session cookie is written and read (``coatcheck.http``).

    The defaults are the secure ones: ``Secure``, ``HttpOnly``,
    ``SameSite=Lax``, ``Path=/``, named ``session``. With ``signed=True`` the
    value is signed with HMAC-SHA256 under the first of ``keys`` (each at
    least 32 bytes); any key of the list is accepted (key rotation).
    Raises ``InvalidArgument`` for a bad name, path, domain or key.
    """

    def __init__(
        self,
        name: str = "session",
        *,
        path: str = "/",
        domain: Optional[str] = None,
        secure: bool = True,
        http_only: bool = True,
        same_site: Literal["strict", "lax", "none"] = "lax",
        signed: bool = False,
        keys: Sequence[bytes] = (),
        csrf_cookie_name: str = "XSRF-TOKEN",
    ) -> None: ...
    @property
    def name(self) -> str:
        """The cookie name."""
    @property
    def path(self) -> str:
        """The ``Path`` attribute."""
    @property
    def domain(self) -> Optional[str]:
        """The ``Domain`` attribute (None: this host only)."""
    @property
    def secure(self) -> bool:
        """The ``Secure`` attribute (forced on with ``same_site="none"``)."""
    @property
    def http_only(self) -> bool:
        """The ``HttpOnly`` attribute."""
    @property
    def same_site(self) -> Literal["strict", "lax", "none"]:
        """The ``SameSite`` attribute."""
    @property
    def signed(self) -> bool:
        """Whether cookie values are signed."""
    @property
    def csrf_cookie_name(self) -> str:
        """The name of the JavaScript-readable CSRF cookie."""
    def set_cookie(self, session: Session) -> str:
        """The ``Set-Cookie`` value that hands ``session``'s token to the
        browser; the session must carry its token (from ``create``,
        ``regenerate`` or ``login``). "Remember me" sessions get ``Max-Age``
        and ``Expires``; others a browser-session cookie."""
    def set_cookie_for(self, token: str, session: Session) -> str:
        """The ``Set-Cookie`` value for ``token``, with ``session``'s lifetime."""
    def clear_cookie(self) -> str:
        """The ``Set-Cookie`` value that deletes the session cookie."""
    def csrf_cookie(self, csrf_token: str) -> str:
        """A ``Set-Cookie`` value for the script-readable CSRF cookie holding
        ``csrf_token`` (from ``Store.csrf_token``); the page echoes it in an
        ``X-XSRF-TOKEN`` header, which ``Store.verify_csrf`` checks."""
    def token_from_cookie_header(self, header: str) -> Optional[str]:
        """The session token in a ``Cookie`` request header (the first of
        ``token_candidates_from_cookie_header``), or None when absent,
        malformed, oversized or wrongly signed."""
    def token_candidates_from_cookie_header(self, header: str) -> List[str]:
        """Every session token in a ``Cookie`` header, in the order the
        browser sent them, without repeats (at most 8). More than one means
        a planted cookie (cookie tossing from a sibling subdomain) or a
        stale one: use the first whose session lives. Signed cookies count
        only when they verify; a ``__Host-`` name keeps siblings out."""

def token_from_authorization(header: str) -> Optional[str]:
    """The token of an ``Authorization: Bearer …`` header, or None."""

class ManualClock:
    """A clock that moves only when told to: for tests of expiry.

    Pass it as ``Store(clock=...)`` and move time with ``advance``, so that
    an expiry test runs at once and never sleeps.
    """

    def __init__(self, start: Optional[datetime] = None) -> None:
        """A clock at ``start`` (an aware datetime), or at the current time."""
    def now(self) -> datetime:
        """The clock's time."""
    def advance(self, delta: Duration) -> None:
        """Moves the clock forward by ``delta``."""
    def set(self, when: datetime) -> None:
        """Sets the clock to ``when`` (an aware datetime)."""

class Transaction:
    """``with store.transaction(token) as data:`` — see ``Store.transaction``."""

    def __enter__(self) -> Dict[str, Value]: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Writes the data back on a clean exit (see ``Store.transaction``)."""

class Store:
    """A session store: one redb file (or memory), owned by this process or,
    with ``shared=True``, opened by several processes of one machine together.

    Every keyword is a knob of the engine's configuration, with its default.
    Durations accept a ``timedelta`` or a number of seconds.

    Safe to share across threads; the GIL is released while the engine
    works. A context manager: ``with Store(path) as store:`` closes on exit.

    **Durability**: with ``durability="immediate"`` (default), a call that
    changes data returns after the change is on disk; concurrent writers
    share one commit. With a duration (``durability=timedelta(
    milliseconds=200)``), changes are visible at once and on disk within that
    interval.

    **Processes**: by default one process owns the file: a second ``Store``
    on the same file fails with ``StoreLocked``. With ``shared=True`` in
    every process, the worker processes of one machine (gunicorn or uvicorn
    workers, a cron job, ``manage.py``) open the file together, and every
    read sees what any process committed before it began. A Store inherited
    through ``fork()`` (gunicorn ``--preload``) refuses every call with
    ``StorageError``: open the store in the worker, lazily, on first use.

    **Close**: ``close()`` makes everything durable, stops the background
    sweeper and releases the file, so it can be opened again; later calls
    raise ``StorageError``. Closing twice is harmless.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str], None] = None,
        *,
        idle_timeout: Duration = timedelta(minutes=30),
        absolute_timeout: Duration = timedelta(hours=24),
        remember_idle_timeout: Duration = timedelta(days=30),
        remember_absolute_timeout: Duration = timedelta(days=90),
        ttl_basis: Literal["last_access", "last_update", "created"] = "last_access",
        touch_interval: Optional[Duration] = None,
        sweep_interval: Optional[Duration] = timedelta(seconds=60),
        sweep_batch: int = 1000,
        durability: Union[Literal["immediate"], Duration] = "immediate",
        cache_capacity: int = 100_000,
        max_sessions_per_user: Optional[int] = 100,
        max_value_bytes: int = 65536,
        token_bytes: int = 32,
        token_prefix: str = "",
        token_timestamp: bool = False,
        regenerate_on_login: bool = True,
        destroy_when_empty: bool = False,
        access_ttl: Duration = timedelta(minutes=15),
        refresh_ttl: Duration = timedelta(days=30),
        refresh_grace: Duration = timedelta(seconds=10),
        access_key: Optional[bytes] = None,
        clock: Optional[ManualClock] = None,
        on_event: Optional[Callable[[Dict[str, str]], object]] = None,
        bind_user_agent: bool = False,
        bind_ip_prefix: Optional[Tuple[int, int]] = None,
        retired_access_keys: Sequence[bytes] = (),
        shared: bool = False,
    ) -> None:
        """Opens (or creates) the store file at ``path``; ``None``: in memory.

        - ``idle_timeout``/``absolute_timeout``: the lifetime of a session;
          ``remember_*``: of a "keep me signed in" session.
        - ``ttl_basis``: what the idle timeout counts from.
        - ``touch_interval``: how often a read may persist ``last_access``
          (None: a tenth of the idle timeout).
        - ``sweep_interval``: how often the background sweeper runs (None
          disables it; ``sweep()`` still works); ``sweep_batch`` records per
          sweep transaction.
        - ``cache_capacity``: sessions kept in memory (0 disables the cache).
        - ``max_sessions_per_user``: evict the least recently used beyond it
          (default 100, so that one user cannot grow an unbounded list;
          None: no limit).
        - ``max_value_bytes``: the largest a session's data may be, encoded.
        - ``token_bytes``, ``token_prefix`` (such as ``"cc_"``),
          ``token_timestamp``: the shape of new tokens.
        - ``regenerate_on_login``: ``login`` gives a new token (OWASP).
        - ``destroy_when_empty``: an anonymous session whose data and flash
          become empty is removed.
        - ``access_ttl``, ``refresh_ttl``, ``refresh_grace``, ``access_key``:
          token pairs (``issue_pair``). ``retired_access_keys``: older keys
          still accepted, never used to sign (key rotation: the new key is
          ``access_key``; tokens name their key in the JWT ``kid``).
        - ``clock``: a ``ManualClock`` for tests.
        - ``on_event``: the session events hook, called with a dict (``kind``
          — ``created``, ``login``, ``rotated``, ``ended``, ``theft``,
          ``evicted``, ``binding_mismatch`` —, ``id``, and where they apply
          ``previous_id``, ``user``, ``reason``) after each commit, on a
          thread of coatcheck's; never a token. A slow hook does not stall
          the store (up to 4096 events wait, later ones are dropped); its
          exceptions go to ``sys.unraisablehook``.
        - ``bind_user_agent``, ``bind_ip_prefix`` (``(ipv4_bits, ipv6_bits)``,
          such as ``(24, 64)``): opt-in binding of sessions to their client,
          checked by ``get_from``; a mismatch ends the session
          (``SessionRevoked``, reason ``"binding_mismatch"``).
        - ``shared``: several processes open the file together (each one
          itself, after any ``fork()``); every commit is durable, so a
          periodic ``durability`` is refused with it. False (default): this
          process owns the file, the fastest.

        Raises ``InvalidArgument`` naming the knob out of range,
        ``StoreLocked``, ``StoreCorrupt`` or ``StoreIOError``.
        """
    @classmethod
    def in_memory(cls, **config: Any) -> Self:
        """A store that lives in memory only (the same keywords as ``Store``)."""
    @property
    def path(self) -> Optional[str]:
        """The file this store was opened on, or None in memory."""
    def create(
        self,
        *,
        user: Optional[str] = None,
        data: Optional[Mapping[str, Value]] = None,
        remember: bool = False,
        lifetime: Optional[LifetimeLike] = None,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        label: Optional[str] = None,
    ) -> Session:
        """Creates a session and returns it with its token (the only time the
        token is shown). A session for a user counts against
        ``max_sessions_per_user``."""
    def get(self, token: str) -> Session:
        """The session of ``token``, marking it used (sliding expiry).

        Raises ``SessionNotFound`` (or its subclasses ``SessionExpired``,
        ``SessionRevoked``), or ``InvalidToken`` for malformed input.
        """
    def get_from(
        self, token: str, *, ip: Optional[str] = None, user_agent: Optional[str] = None
    ) -> Session:
        """``get`` for a request from the client at ``ip`` with ``user_agent``:
        with ``bind_user_agent``/``bind_ip_prefix``, a client that does not
        match the session's ends it (``SessionRevoked``, reason
        ``"binding_mismatch"``)."""
    def peek(self, token: str) -> Session:
        """The session of ``token``, without marking it used."""
    def set(self, token: str, key: str, value: Value) -> None:
        """Sets one key. Atomic: concurrent changes of other keys survive."""
    def remove(self, token: str, key: str) -> Value:
        """Removes one key; returns the value it held, or None."""
    def update(self, token: str, changes: Mapping[str, Value]) -> None:
        """Merges ``changes`` into the data (like ``dict.update``), atomically:
        concurrent changes of other keys survive."""
    def apply(
        self,
        token: str,
        *,
        clear: bool = False,
        set: Optional[Mapping[str, Value]] = None,
        remove: Optional[Sequence[str]] = None,
        flash: Optional[Mapping[str, Value]] = None,
        lifetime: Optional[LifetimeLike] = None,
        reset_lifetime: bool = False,
        remember: Optional[bool] = None,
    ) -> None:
        """Applies a batch of changes in one atomic write and one commit:
        with ``clear=True`` every key removed first, then keys to ``set``,
        then keys to ``remove``, ``flash`` values to add, a
        ``lifetime`` (or ``reset_lifetime=True``: back to the configured one)
        and ``remember``. Everything is checked first: a bad value raises and
        changes nothing. Only the keys named change, so concurrent batches on
        different keys all survive. A batch that changes nothing writes
        nothing; an ended session is never brought back (``SessionNotFound``)."""
    def update_with(self, token: str, func: Callable[[Dict[str, Value]], _R]) -> _R:
        """Atomic read-modify-write through ``func``, which gets the data as a
        dict, changes it in place and may return a result.

        If the session changed meanwhile, ``func`` runs again on the new data
        (keep it free of side effects). If ``func`` raises, nothing is
        written and the exception propagates. Returns what ``func`` returned.
        """
    def transaction(self, token: str) -> Transaction:
        """An optimistic read-modify-write as a context manager::

            with store.transaction(token) as data:
                data["visits"] = data.get("visits", 0) + 1

        ``data`` is a dict of the session's data at entry. On a clean exit,
        if it changed, it replaces the session's data, unless the session
        changed meanwhile: then ``Conflict`` is raised and nothing is
        written (retry, or use ``update_with``, which retries for you). If
        the block raises, nothing is written.
        """
    def replace_if(self, token: str, version: int, data: Mapping[str, Value]) -> int:
        """Replaces the data if the session is still at ``version``; returns
        the new version. ``Conflict`` if it moved."""
    def destroy(self, token: str) -> bool:
        """Ends the session. Returns whether one was ended; an unknown or
        already ended token is not an error."""
    def logout(self, token: str) -> bool:
        """Ends the session: ``destroy`` under the name apps use."""
    def regenerate(self, token: str) -> Session:
        """A new token and id, same data; the old token stops working at once
        (``SessionRevoked`` with reason ``"rotated"``). Renew the id on any
        privilege change (OWASP: session fixation)."""
    def login(self, token: str, user: str) -> Session:
        """Attaches ``user``, keeping the data (the shopping cart). With
        ``regenerate_on_login`` (default) the returned session carries a new
        token and the old one stops working."""
    def flash(self, token: str, key: str, value: Value) -> None:
        """Adds a flash value, kept until the next ``take_flash``."""
    def take_flash(self, token: str) -> Dict[str, Value]:
        """Returns the flash values and removes them, atomically: each is
        read once."""
    def csrf_token(self, token: str) -> str:
        """A CSRF token tied to the session, masked with a fresh random pad
        on each call (BREACH-safe): put it in forms or ``csrf_cookie``."""
    def verify_csrf(self, token: str, candidate: str) -> bool:
        """Whether ``candidate`` is a CSRF token of this session (constant
        time). A malformed candidate is False; a missing session raises."""
    def issue_pair(self, token: str) -> TokenPair:
        """Issues an access/refresh token pair for the session of ``token``
        (for API and mobile clients). An earlier pair stops at once. Login
        and regenerate end every pair: call this again after them."""
    def verify_access(self, access: str) -> Session:
        """The session of an access token (marked used). Raises
        ``AccessTokenExpired`` (the token's ``exp`` passed: refresh, do not
        sign in), ``InvalidToken`` (malformed, bad signature),
        ``SessionNotFound`` (a later pair replaced this one),
        ``SessionExpired`` (the session expired) or ``SessionRevoked`` (the
        session ended; ``"rotated"`` after login/regenerate)."""
    def refresh(self, refresh_token: str) -> TokenPair:
        """Spends ``refresh_token`` and returns a new pair. Presenting a spent
        refresh token again revokes the whole session (``TokenReuse``),
        unless it comes within ``refresh_grace`` of the first use (two tabs,
        a network retry): then the same new pair is returned."""
    def set_lifetime(self, token: str, lifetime: Optional[LifetimeLike]) -> None:
        """Gives this session its own lifetime; None puts it back on the configured one."""
    def now(self) -> datetime:
        """The current time on the store's clock (a ManualClock in tests)."""
    def set_remember(self, token: str, remember: bool) -> None:
        """Turns "keep me signed in" on or off (long or default lifetime)."""
    def set_meta(
        self,
        token: str,
        meta: Optional[Meta] = None,
        *,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        label: Optional[str] = None,
    ) -> None:
        """Replaces the session's meta (all three fields)."""
    def sessions_of(self, user: str) -> List[Session]:
        """The live sessions of ``user``, most recently used first (no tokens)."""
    def users(self, after: Optional[str] = None, limit: int = 100) -> List[str]:
        """Users with at least one live session, in order, after ``after``, at
        most ``limit``: page with the last user of the previous page."""
    def destroy_user(self, user: str) -> int:
        """Ends every session of ``user`` ("log out everywhere"); how many."""
    def destroy_user_except(self, user: str, keep_id: str) -> int:
        """Ends every session of ``user`` but the one with id ``keep_id``
        ("log out other devices"); how many."""
    def destroy_id(self, id: str) -> bool:
        """Ends the session with this id (admin); whether one was ended."""
    def destroy_user_session(self, user: str, id: str) -> bool:
        """Ends the session with this id only if it belongs to ``user``: for
        a "your devices" page, where the id comes from the browser. False
        for another user's session, an unknown id or an ended one alike."""
    def revoke_others_and_regenerate(self, token: str) -> Session:
        """After a password change: ends every other session of this
        session's user and every token pair of this one, and gives it a new
        token (set the cookie again), atomically. ``InvalidArgument`` for
        an anonymous session."""
    def revoke_pairs(self, token: str) -> bool:
        """Ends every token pair of the session of ``token`` (access and
        refresh tokens); the session lives on. Whether a pair was live."""
    def info(self, id: str) -> Session:
        """The session with this id (admin), without marking it used."""
    def count(self) -> int:
        """How many live sessions there are."""
    def count_users(self) -> int:
        """How many users have at least one live session."""
    def sweep(self) -> int:
        """Removes expired sessions now; returns how many."""
    def flush(self) -> None:
        """Makes every change durable now (useful with periodic durability)."""
    def close(self) -> None:
        """Flushes, stops the sweeper and releases the file. Harmless twice."""
    def stats(self) -> Stats:
        """Counters and sizes."""
    def check(self) -> CheckReport:
        """Walks every record and index, changing nothing. ``problems`` lists
        what is damaged (by session id, never token); empty when sound."""
    @staticmethod
    def repair(path: Union[str, os.PathLike[str]]) -> RepairReport:
        """Repairs the store file at ``path`` (no process may have it open):
        nothing if it is sound, else every intact session is salvaged into a
        new file and the original is kept as ``<path>.damaged-<unix ms>``.
        Refresh tokens are not salvaged."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Closes the store; exceptions propagate."""

def _bench(store: Store, n: int) -> Dict[str, float]:
    """Times ``n`` creates, gets and sets made in Rust on ``store``:
    nanoseconds per call of each (for benches/python/bench.py)."""

def _bench_gets(store: Store, tokens: List[str]) -> None:
    """Gets every token in a Rust loop with the GIL released (for
    benches/python/bench.py, which times the call)."""

def _forked_child() -> None:
    """Marks every store opened before ``fork()`` as inherited (installed
    with ``os.register_at_fork`` when the module is imported)."""
