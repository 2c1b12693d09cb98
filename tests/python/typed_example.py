"""A small program that uses coatcheck through its type stubs.

`make test` runs `mypy --strict` on it (and runs it as a test), so that the
stubs stay complete and right.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import coatcheck


def visit(store: coatcheck.Store, token: Optional[str]) -> str:
    """One request: find or make the session, count the visit, return the token."""
    if token is not None:
        try:
            store.get(token)
        except coatcheck.SessionRevoked as e:
            reason: str = e.reason
            print(f"signed out ({reason})")
            token = None
        except coatcheck.SessionNotFound:
            token = None
    if token is None:
        session: coatcheck.Session = store.create(data={"visits": 0}, ip="203.0.113.7")
        assert session.token is not None
        token = session.token

    def bump(data: Dict[str, Any]) -> int:
        n: int = data.get("visits", 0) + 1
        data["visits"] = n
        return n

    visits: int = store.update_with(token, bump)
    print(f"visit {visits}")
    return token


def main() -> None:
    clock = coatcheck.ManualClock()
    with coatcheck.Store(
        None,
        idle_timeout=timedelta(minutes=30),
        durability="immediate",
        sweep_interval=None,
        clock=clock,
    ) as store:
        token = visit(store, None)
        token = visit(store, token)
        with store.transaction(token) as data:
            data["theme"] = "dark"
        signed_in = store.login(token, "alice")
        assert signed_in.token is not None
        devices: List[coatcheck.Session] = store.sessions_of("alice")
        when: datetime = devices[0].last_access
        lifetime: timedelta = devices[0].lifetime.idle
        stats: coatcheck.Stats = store.stats()
        print(len(devices), when.tzinfo is not None, lifetime, stats.sessions)
        clock.advance(timedelta(hours=1))
        visit(store, signed_in.token)


if __name__ == "__main__":
    main()
