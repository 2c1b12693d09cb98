"""Accounts: sign-up, sign-in, password recovery and rate limits.

This is the app's business logic, shared by the JSON API and the HTML
pages. It knows users and passwords; sessions are the web layer's (see
``sessions.py``). Every failure is an ``AccountError`` with the HTTP status
and a message that is safe to show: it never holds a password, a hash or
a code.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from learn_sessions.database import Database, Duplicate, Recovery, User
from learn_sessions.settings import Settings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CODE_ALPHABET = "0123456789"
CODE_LENGTH = 6
MIN_PASSWORD = 8
MAX_PASSWORD = 1000  # argon2 hashes any length; a cap keeps a request cheap
#: The one answer to a failed sign-in, whatever went wrong.
BAD_CREDENTIALS = "the name, e-mail or password is not right"


@dataclass
class AccountError(Exception):
    """A request the app refuses: ``status`` is the HTTP status."""

    status: int
    message: str
    headers: Dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def bad_request(message: str) -> AccountError:
    return AccountError(400, message)


class CodeSender(Protocol):
    """Delivers a one-time code to an e-mail address (pluggable)."""

    def send_code(self, email: str, code: str) -> None: ...


class FileSender:
    """The default "e-mail": one JSON line ``{"email": ..., "otp": ...}``
    appended to ``OTP_FILE`` per code, under a file lock (several workers
    may send at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send_code(self, email: str, code: str) -> None:
        line = json.dumps({"email": email, "otp": code}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(line)


@dataclass(frozen=True)
class SignIn:
    user: User
    keep_signed_in: bool


@dataclass(frozen=True)
class RecoveryStarted:
    id: str
    code: str


class Accounts:
    """The rules of accounts, over the users database."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        now: Callable[[], datetime],
        sender: CodeSender,
    ) -> None:
        self.settings = settings
        self.db = database
        self.now = now
        self.sender = sender
        self.hasher = PasswordHasher(memory_cost=settings.argon2_memory_kib)
        # Verified when the user does not exist, so that an unknown name
        # costs what a wrong password costs.
        self._decoy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    # Sign-up

    def create_user(self, body: Mapping[str, Any]) -> User:
        display_name = _optional_string(body, "displayName", 255)
        name = _required_string(body, "name", 100)
        email = _required_string(body, "email", 255)
        if not _EMAIL.match(email):
            raise bad_request("email must be a valid e-mail address")
        password = _password(body, "password")
        keep = _optional_bool(body, "keepSignedIn")
        user = User(
            id=str(uuid.uuid4()),
            name=name,
            email=email,
            display_name=display_name,
            password_hash=self.hasher.hash(password),
            keep_signed_in=keep,
            created_at=iso(self.now()),
        )
        try:
            self.db.add_user(user)
        except Duplicate:
            raise AccountError(409, "a user with this name or e-mail exists already") from None
        return user

    # Sign-in

    def authenticate(self, body: Mapping[str, Any], address: str) -> SignIn:
        """The user whose name (or e-mail) and password these are. Unknown
        user and wrong password fail alike: same status, same message,
        one argon2 verification each."""
        name = _optional_string(body, "name", 100)
        email = _optional_string(body, "email", 255)
        if name is None and email is None:
            raise bad_request("name or email is required")
        password = _required_string(body, "password", MAX_PASSWORD)
        keep = _optional_bool(body, "keepSignedIn")
        account = (name if name is not None else email or "").lower()
        self.limit("auth-address", address, self.settings.auth_per_address)
        self.limit("auth-account", account, self.settings.auth_per_account)
        user = self.db.user_by(name=name) if name is not None else self.db.user_by(email=email)
        if user is not None and email is not None and user.email.lower() != email.lower():
            user = None
        matches = self._password_matches(user, password)  # runs argon2 either way
        if user is None or not matches:
            raise bad_request(BAD_CREDENTIALS)
        if self.hasher.check_needs_rehash(user.password_hash):
            self.db.set_password(user.id, self.hasher.hash(password))
        if "keepSignedIn" in body and keep != user.keep_signed_in:
            self.db.set_keep_signed_in(user.id, keep)
        return SignIn(user, keep)

    def _password_matches(self, user: Optional[User], password: str) -> bool:
        stored = user.password_hash if user is not None else self._decoy_hash
        try:
            return self.hasher.verify(stored, password) and user is not None
        except (VerificationError, InvalidHashError):
            return False

    # Password recovery

    def start_recovery(self, body: Mapping[str, Any], address: str) -> RecoveryStarted:
        """Sends a one-time code to the user's e-mail; 400 for an unknown
        e-mail or when a request is already pending."""
        email = _required_string(body, "email", 255)
        self.limit("recovery-address", address, self.settings.recovery_per_address)
        self.limit("recovery-account", email.lower(), self.settings.recovery_per_account)
        user = self.db.user_by(email=email)
        if user is None:
            raise bad_request("no user has this e-mail address")
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        recovery = Recovery(
            id=str(uuid.uuid4()),
            user_id=user.id,
            code_mac=self._code_mac(code),
            expires_at_ms=_ms(self.now()) + self.settings.recovery_ttl_seconds * 1000,
            attempts_left=self.settings.recovery_attempts,
            state="pending",
        )
        if not self.db.start_recovery(recovery, _ms(self.now())):
            raise bad_request("a password recovery is already pending for this user")
        self.sender.send_code(user.email, code)
        return RecoveryStarted(recovery.id, code)

    def reset_password(self, body: Mapping[str, Any], address: str) -> User:
        """Checks the code of a pending request and sets the new password;
        the request is used up. 400 for a wrong code (each request allows a
        few tries), no pending request, or an expired one."""
        recovery_id = _required_string(body, "id", 36)
        code = _required_string(body, "otp", CODE_LENGTH)
        password = _password(body, "newPassword")
        if not _UUID.match(recovery_id):
            raise bad_request("id must be a UUID")
        if len(code) != CODE_LENGTH:
            raise bad_request(f"otp must be {CODE_LENGTH} characters")
        self.limit("reset-address", address, self.settings.recovery_per_address)
        recovery = self.db.take_recovery_attempt(recovery_id.lower(), _ms(self.now()))
        if recovery is None:
            raise bad_request("no pending password recovery with this id (used or expired?)")
        if not hmac.compare_digest(recovery.code_mac, self._code_mac(code)):
            raise bad_request("the code is not right")
        if not self.db.finish_recovery(recovery.id):
            raise bad_request("no pending password recovery with this id (used or expired?)")
        user = self.db.user_by(id=recovery.user_id)
        if user is None:  # users are never deleted; kept for the type checker
            raise bad_request("the user of this recovery is gone")
        self.db.set_password(user.id, self.hasher.hash(password))
        return user

    def _code_mac(self, code: str) -> str:
        return hmac.new(self.settings.secret_key, code.encode(), hashlib.sha256).hexdigest()

    # Rate limits

    def limit(self, kind: str, who: str, allowed: int) -> None:
        """Counts one attempt of ``kind`` by ``who`` in the current window;
        429 with ``Retry-After`` past ``allowed`` attempts."""
        window_seconds = self.settings.rate_window_seconds
        now = self.now().timestamp()
        window = int(now // window_seconds)
        key = kind + ":" + hashlib.sha256(who.encode()).hexdigest()
        if self.db.count_hit(key, window) > allowed:
            retry = max(1, int((window + 1) * window_seconds - now))
            raise AccountError(
                429,
                f"too many attempts; try again in {retry} seconds",
                {"Retry-After": str(retry)},
            )


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds: ``2026-12-03T18:30:00.000Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _required_string(body: Mapping[str, Any], key: str, longest: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{key} is required and must be a non-empty string")
    if len(value) > longest:
        raise bad_request(f"{key} must be at most {longest} characters")
    return value


def _optional_string(body: Mapping[str, Any], key: str, longest: int) -> Optional[str]:
    if body.get(key) is None:
        return None
    return _required_string(body, key, longest)


def _optional_bool(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be true or false")
    return value


def _password(body: Mapping[str, Any], key: str) -> str:
    password = _required_string(body, key, MAX_PASSWORD)
    if len(password) < MIN_PASSWORD:
        raise bad_request(f"{key} must be at least {MIN_PASSWORD} characters")
    return password


def parse_json_object(raw: bytes) -> Dict[str, Any]:
    """The body as a JSON object; 400 for anything else (not UTF-8, not
    JSON, an array, a number…)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_request("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body
