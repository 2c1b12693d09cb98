"""The app's own data in SQLite (standard library ``sqlite3``): users,
password-recovery requests and rate-limit counters.

Sessions are not here: they live in coatcheck's store. Each call opens a
short connection; the file is in WAL mode so that several uvicorn workers
read while one writes.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    keep_signed_in INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recoveries (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    code_mac TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    attempts_left INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'used', 'spent'))
);
CREATE INDEX IF NOT EXISTS recoveries_by_user ON recoveries(user_id, state);
CREATE TABLE IF NOT EXISTS rate_counters (
    key TEXT NOT NULL,
    window INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (key, window)
);
"""


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    display_name: Optional[str]
    password_hash: str
    keep_signed_in: bool
    created_at: str


@dataclass(frozen=True)
class Recovery:
    id: str
    user_id: str
    code_mac: str
    expires_at_ms: int
    attempts_left: int
    state: str


class Duplicate(Exception):
    """A user with this name or e-mail exists already."""


class Database:
    """The users file. Safe to use from many threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # Users

    def add_user(self, user: User) -> None:
        """Raises ``Duplicate`` when the name or e-mail is taken (any case)."""
        try:
            with self._connect() as db:
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        user.id,
                        user.name,
                        user.email,
                        user.display_name,
                        user.password_hash,
                        int(user.keep_signed_in),
                        user.created_at,
                    ),
                )
        except sqlite3.IntegrityError:
            raise Duplicate() from None

    def user_by(self, *, id: Optional[str] = None, name: Optional[str] = None,
                email: Optional[str] = None) -> Optional[User]:
        """The user with this id, name or e-mail (names and e-mails match
        in any case), or None."""
        column, value = (
            ("id", id) if id is not None else ("name", name) if name is not None else ("email", email)
        )
        with self._connect() as db:
            row = db.execute(f"SELECT * FROM users WHERE {column} = ?", (value,)).fetchone()
        return None if row is None else _user(row)

    def all_users(self) -> List[User]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM users ORDER BY created_at, name").fetchall()
        return [_user(row) for row in rows]

    def set_password(self, user_id: str, password_hash: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def set_keep_signed_in(self, user_id: str, keep: bool) -> None:
        with self._connect() as db:
            db.execute("UPDATE users SET keep_signed_in = ? WHERE id = ?", (int(keep), user_id))

    # Recovery requests

    def start_recovery(self, recovery: Recovery, now_ms: int) -> bool:
        """Records a pending request, unless the user has one that has not
        expired: then nothing changes and the result is False."""
        with self._transaction() as db:
            pending = db.execute(
                "SELECT 1 FROM recoveries WHERE user_id = ? AND state = 'pending'"
                " AND expires_at_ms > ?",
                (recovery.user_id, now_ms),
            ).fetchone()
            if pending is not None:
                return False
            db.execute(
                "UPDATE recoveries SET state = 'spent' WHERE user_id = ? AND state = 'pending'",
                (recovery.user_id,),
            )
            db.execute(
                "INSERT INTO recoveries VALUES (?, ?, ?, ?, ?, 'pending')",
                (
                    recovery.id,
                    recovery.user_id,
                    recovery.code_mac,
                    recovery.expires_at_ms,
                    recovery.attempts_left,
                ),
            )
        return True

    def take_recovery_attempt(self, recovery_id: str, now_ms: int) -> Optional[Recovery]:
        """Spends one attempt of a pending, unexpired request and returns
        it as it was before; None when there is no such request."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM recoveries WHERE id = ? AND state = 'pending' AND expires_at_ms > ?",
                (recovery_id, now_ms),
            ).fetchone()
            if row is None:
                return None
            recovery = Recovery(*row)
            left = recovery.attempts_left - 1
            db.execute(
                "UPDATE recoveries SET attempts_left = ?, state = ? WHERE id = ?",
                (left, "pending" if left > 0 else "spent", recovery_id),
            )
        return recovery

    def finish_recovery(self, recovery_id: str) -> bool:
        """Marks a request used; False if it was not pending (a code works once)."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE recoveries SET state = 'used' WHERE id = ? AND state = 'pending'",
                (recovery_id,),
            )
        return cursor.rowcount == 1

    # Rate limits

    def count_hit(self, key: str, window: int) -> int:
        """Adds one hit to ``key`` in ``window``; returns the hits so far."""
        with self._transaction() as db:
            db.execute("DELETE FROM rate_counters WHERE window < ?", (window - 1,))
            db.execute(
                "INSERT INTO rate_counters VALUES (?, ?, 1)"
                " ON CONFLICT (key, window) DO UPDATE SET hits = hits + 1",
                (key, window),
            )
            row = db.execute(
                "SELECT hits FROM rate_counters WHERE key = ? AND window = ?", (key, window)
            ).fetchone()
        return int(row[0])


def _user(row: sqlite3.Row) -> User:
    id, name, email, display_name, password_hash, keep, created_at = row
    return User(id, name, email, display_name, password_hash, bool(keep), created_at)
