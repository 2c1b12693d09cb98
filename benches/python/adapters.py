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

Then one commit per request (issue #13): a coatcheck Django save that
changes 3 keys (and one that also changes the expiry with ``set_expiry``)
against one durable engine ``set``, the saves timed twice in the same run:
"before", with the adapter's write path as it was (``update`` of the keys,
then ``set_lifetime``: a commit each), and "after", with today's single
``Store.apply`` (one commit). Target: a 3-key save <= 1.3x one ``set``.
"""

from __future__ import annotations

import argparse
import itertools
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
        # No per-user limit: every bench session belongs to one user (the
        # default of 100 would evict most of them).
        COATCHECK_OPTIONS={"sweep_interval": None, "max_sessions_per_user": None},
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


def legacy_apply_changes(
    store: Any,
    token: str,
    sets: Dict[str, Any],
    removes: List[str],
    *,
    replace: bool = False,
    lifetime: Any = None,
    remember: Any = None,
) -> None:
    """The adapters' write path before ``Store.apply``: one engine call per
    kind of change, each its own commit."""
    if replace or removes:

        def change(data: Dict[str, Any]) -> None:
            if replace:
                data.clear()
            data.update(sets)
            for key in removes:
                data.pop(key, None)

        store.update_with(token, change)
    elif len(sets) == 1:
        ((key, value),) = sets.items()
        store.set(token, key, value)
    elif sets:
        store.update(token, sets)
    if lifetime is not None:
        store.set_lifetime(token, lifetime)
    if remember is not None:
        store.set_remember(token, remember)


def one_commit(n: int, sessions: int) -> Dict[str, float]:
    """A durable engine ``set`` against Django saves of 3 keys (and 3 keys
    plus the expiry), before and after ``Store.apply``, interleaved in
    rounds so that a noisy moment hits every case alike."""
    import coatcheck.django as ccd
    from coatcheck.django import SessionStore

    store = ccd.get_store()
    keys: List[str] = []
    for _ in range(sessions):
        s = SessionStore()
        s.update(PAYLOAD)
        s.save()
        keys.append(s.session_key or "")

    # Every call writes values no call wrote before (the cases take turns
    # on the same sessions: a repeated value would be a save with no change).
    fresh = itertools.count(1_000_000)

    def engine_set(i: int) -> None:
        store.set(keys[i % sessions], "visits", next(fresh))

    def save3(i: int) -> None:
        s = SessionStore(keys[i % sessions])
        n = next(fresh)
        s["visits"], s["theme"], s["last_search"] = n, f"t{n}", f"q{n}"
        s.save()

    def save3_expiry(i: int) -> None:
        s = SessionStore(keys[i % sessions])
        n = next(fresh)
        s["visits"], s["theme"], s["last_search"] = n, f"t{n}", f"q{n}"
        s.set_expiry(3600 + n % 1000)
        s.save()

    def with_path(path: Callable[..., None], func: Callable[[int], None]) -> Callable[[int], None]:
        def run(i: int) -> None:
            saved, ccd.apply_changes = ccd.apply_changes, path  # type: ignore[assignment]
            try:
                func(i)
            finally:
                ccd.apply_changes = saved  # type: ignore[assignment]

        return run

    cases = {
        "engine set (1 key)": engine_set,
        "save 3 keys, before": with_path(legacy_apply_changes, save3),
        "save 3 keys, after": save3,
        "save 3 keys + expiry, before": with_path(legacy_apply_changes, save3_expiry),
        "save 3 keys + expiry, after": save3_expiry,
    }
    rounds = 5
    totals = {name: 0.0 for name in cases}
    commits = {}
    for name, func in cases.items():
        before = store.stats().durable_commits
        func(1)
        commits[name] = store.stats().durable_commits - before
    for _ in range(rounds):
        for name, func in cases.items():
            totals[name] += per_call_us(max(n // 50, 40), func)
    return {**{name: total / rounds for name, total in totals.items()},
            **{f"{name} commits": float(c) for name, c in commits.items()}}


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
    one = one_commit(args.n, args.sessions)
    print()
    print("One commit per request: durable, µs per call, mean of 5 interleaved rounds")
    print(f"{'case':<30}{'µs':>10}{'commits':>9}{'x set':>8}")
    base = one["engine set (1 key)"]
    for name in [k for k in one if not k.endswith(" commits")]:
        print(f"{name:<30}{one[name]:>10.0f}{one[name + ' commits']:>9.0f}{one[name] / base:>8.2f}")
    print(f"save of 3 keys: {one['save 3 keys, after'] / base:.2f}x one durable set "
          f"(target <= 1.3x); before: {one['save 3 keys, before'] / base:.2f}x")
    sys.stdout.flush()
    os.system(f"rm -rf {tmp}")


if __name__ == "__main__":
    main()
