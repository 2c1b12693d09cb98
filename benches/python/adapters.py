"""Django session load and save: ``coatcheck.django`` against Django's own
``db`` backend (SQLite in WAL mode) and ``cache`` backend (LocMem), in one
run, with the same ~200-byte session.

    make bench-adapters                 (release build of the module first)
    python benches/python/adapters.py [--n 5000]

load = ``SessionStore(key).load()`` of an existing session (what the first
``request.session[...]`` of a request costs); save = change one key and
``save()`` (what the response of a request that changed the session costs).
coatcheck and SQLite both make each save durable (fsync): coatcheck with
``durability="immediate"``, SQLite with ``synchronous=FULL``. LocMem keeps
nothing past the process; it is the floor of what a backend can cost.

Targets (issue #6): coatcheck load >= 20x the db backend's, and faster than
LocMem's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

PAYLOAD: Dict[str, Any] = {
    "_auth_user_id": "4242",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "cart": ["sku-1001", "sku-2002", "sku-3003"],
    "theme": "dark",
    "visits": 17,
    "last_search": "waterproof jacket size M",
}


def configure(tmp: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-" + "x" * 40,
        INSTALLED_APPS=["django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp / "db.sqlite3"),
                               "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"}}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                            "OPTIONS": {"MAX_ENTRIES": 1_000_000}}},
        COATCHECK_PATH=str(tmp / "sessions.redb"),
        COATCHECK_OPTIONS={"sweep_interval": None},
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def per_call_us(n: int, func: Callable[[int], object]) -> float:
    func(0)  # warm up
    start = time.perf_counter()
    for i in range(n):
        func(i)
    return (time.perf_counter() - start) / n * 1e6


def measure(engine: str, n: int, sessions: int) -> Dict[str, float]:
    from importlib import import_module

    store_class = import_module(engine).SessionStore
    keys: List[str] = []
    for _ in range(sessions):
        s = store_class()
        s.update(PAYLOAD)
        s.save()
        keys.append(s.session_key)

    def load(i: int) -> object:
        return store_class(keys[i % sessions]).load()

    def save(i: int) -> None:
        s = store_class(keys[i % sessions])
        s["visits"] = i
        s.save()

    return {"load": per_call_us(n, load), "save": per_call_us(max(n // 10, 50), save)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="loads per backend (saves: n/10)")
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coatcheck-bench-"))
    configure(tmp)
    from coatcheck.django import SessionStore

    s = SessionStore()
    s.update(PAYLOAD)
    s.save()
    size = len(repr(PAYLOAD).encode())
    results = {
        "coatcheck": measure("coatcheck.django", args.n, args.sessions),
        "db (SQLite WAL)": measure("django.contrib.sessions.backends.db", args.n, args.sessions),
        "cache (LocMem)": measure("django.contrib.sessions.backends.cache", args.n, args.sessions),
    }
    print(f"Django session backends, payload ~{size} bytes, {args.n} loads, {max(args.n // 10, 50)} saves")
    print(f"{'backend':<18}{'load µs':>10}{'save µs':>10}")
    for name, r in results.items():
        print(f"{name:<18}{r['load']:>10.1f}{r['save']:>10.1f}")
    cc, db, lm = results["coatcheck"], results["db (SQLite WAL)"], results["cache (LocMem)"]
    print(f"load: coatcheck is {db['load'] / cc['load']:.1f}x the db backend, "
          f"{lm['load'] / cc['load']:.2f}x LocMem (target >= 20x and > 1x)")
    print(f"save: coatcheck is {db['save'] / cc['save']:.1f}x the db backend, "
          f"{lm['save'] / cc['save']:.2f}x LocMem")
    sys.stdout.flush()
    os.system(f"rm -rf {tmp}")


if __name__ == "__main__":
    main()
