"""The app's settings, read once from the environment.

Every setting has a default that suits a local demo; see the README for
the table. Nothing here is secret except the signing key, which is read
from ``SECRET_KEY`` or kept in ``DATA_DIR/secret.key`` (created on first
start, readable by its owner only) so that every worker signs with the
same key.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Literal, Mapping

CookieSecure = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class Settings:
    """What the app is configured with (see ``from_env``)."""

    data_dir: Path
    otp_file: Path
    secret_key: bytes = field(repr=False)
    debug: bool = False
    cookie_secure: CookieSecure = "auto"
    test_clock: bool = False
    store_options: Dict[str, Any] = field(default_factory=dict)
    argon2_memory_kib: int = 65536
    rate_window_seconds: int = 60
    auth_per_account: int = 5
    auth_per_address: int = 30
    recovery_per_account: int = 3
    recovery_per_address: int = 10
    recovery_ttl_seconds: int = 15 * 60
    recovery_attempts: int = 5

    @property
    def users_db(self) -> Path:
        return self.data_dir / "users.sqlite3"

    @property
    def sessions_file(self) -> Path:
        return self.data_dir / "sessions.redb"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Reads the settings; raises ``ValueError`` naming a bad one."""
        data_dir = Path(env.get("DATA_DIR", "learn-sessions-data")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        secure = env.get("COOKIE_SECURE", "auto")
        if secure not in ("auto", "always", "never"):
            raise ValueError("COOKIE_SECURE must be auto, always or never")
        options = json.loads(env.get("COATCHECK_OPTIONS", "{}"))
        if not isinstance(options, dict):
            raise ValueError("COATCHECK_OPTIONS must be a JSON object of Store keywords")
        return cls(
            data_dir=data_dir,
            otp_file=Path(env.get("OTP_FILE", str(data_dir / "otp.jsonl"))).resolve(),
            secret_key=_secret_key(env, data_dir),
            debug=_flag(env, "DEBUG"),
            cookie_secure=secure,  # type: ignore[arg-type]
            test_clock=_flag(env, "TEST_CLOCK"),
            store_options=options,
            argon2_memory_kib=_number(env, "ARGON2_MEMORY_KIB", 65536, minimum=8),
            rate_window_seconds=_number(env, "RATE_WINDOW_SECONDS", 60, minimum=1),
            auth_per_account=_number(env, "AUTH_PER_ACCOUNT", 5, minimum=1),
            auth_per_address=_number(env, "AUTH_PER_ADDRESS", 30, minimum=1),
            recovery_per_account=_number(env, "RECOVERY_PER_ACCOUNT", 3, minimum=1),
            recovery_per_address=_number(env, "RECOVERY_PER_ADDRESS", 10, minimum=1),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _number(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    text = env.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _secret_key(env: Mapping[str, str], data_dir: Path) -> bytes:
    """``SECRET_KEY`` (at least 32 bytes), or the key file, made once.

    Several workers may start at once: the file is written under a
    temporary name and linked into place, so each worker reads one whole
    key, the first one made.
    """
    given = env.get("SECRET_KEY")
    if given is not None:
        key = given.encode()
        if len(key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 bytes")
        return key
    path = data_dir / "secret.key"
    if not path.exists():
        temporary = data_dir / f".secret.key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker was first: use its key
        finally:
            os.unlink(temporary)
    return path.read_text().strip().encode()
