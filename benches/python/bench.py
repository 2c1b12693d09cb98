"""coatcheck from Python, against the same calls made in Rust and against
sqlite3, all in one run.

    make bench-python            (builds the module in release mode first)
    python benches/python/bench.py [--n 20000] [--rounds 5] [--durable-n 1000]

1. create / get / set from Python, then the same calls in Rust on a store of
   the same configuration (``coatcheck._native._bench``, a loop of Rust
   calls with the GIL released): the cost of the Python face. Periodic
   durability, so that the figures are the engine's and the binding's, not
   the disk's.
2. get, three ways over the same keys: from Python, from a Rust loop on the
   same store (``_native._bench_gets``), and sqlite3
   ``SELECT data FROM sessions WHERE id = ?`` (a ``TEXT PRIMARY KEY`` table
   like Django's, the row fetched). Timed twice: wall clock, and the
   calling thread's CPU time. All three are CPU-bound on the calling thread,
   so on an idle machine the two agree; on a shared, loaded one the CPU
   time is the steadier measure, and the targets are checked on it.
3. durable writes: ``create`` with ``durability="immediate"`` (one fsync per
   call, one thread) against sqlite3 ``INSERT`` + ``COMMIT`` per row
   (rollback journal, ``synchronous=FULL``).

Rounds alternate between the contenders and the best round of each is kept.
Targets (issue #5): Python get <= 3x the Rust get; Python get >= 10x faster
than the sqlite3 select by primary key. The exit status is 1 if one is
missed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from typing import Callable, Dict, List, Tuple

import coatcheck
from coatcheck import _native

DATA = {"cart": "three items", "n": 7}


def per_call_ns(n: int, loop: Callable[[], None]) -> float:
    """Wall-clock nanoseconds per call of a loop of ``n`` calls."""
    start = time.perf_counter_ns()
    loop()
    return (time.perf_counter_ns() - start) / n


def per_call_wall_and_cpu(n: int, loop: Callable[[], None]) -> Tuple[float, float]:
    """Wall-clock and this thread's CPU nanoseconds per call."""
    wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
    loop()
    return (time.perf_counter_ns() - wall) / n, (time.thread_time_ns() - cpu) / n


def bench_python(store: coatcheck.Store, n: int) -> Dict[str, float]:
    tokens: List[str] = []

    def creates() -> None:
        for i in range(n):
            tokens.append(store.create(data={"cart": "three items", "n": i}).token or "")

    def gets() -> None:
        get = store.get
        for t in tokens:
            get(t)

    def sets() -> None:
        set_ = store.set
        for i, t in enumerate(tokens):
            set_(t, "n", i + 1)

    return {
        "create": per_call_ns(n, creates),
        "get": per_call_ns(n, gets),
        "set": per_call_ns(n, sets),
    }


def faces(directory: str, n: int, rounds: int) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Section 1: create/get/set, Python against Rust, wall clock."""
    periodic = timedelta(milliseconds=100)
    py_store = coatcheck.Store(os.path.join(directory, "py.redb"), sweep_interval=None, durability=periodic)
    rust_store = coatcheck.Store(os.path.join(directory, "rust.redb"), sweep_interval=None, durability=periodic)
    with py_store, rust_store:
        bench_python(py_store, min(n, 1000))  # warm up
        _native._bench(rust_store, min(n, 1000))
        py_rounds, rust_rounds = [], []
        for _ in range(rounds):
            py_rounds.append(bench_python(py_store, n))
            rust_rounds.append(_native._bench(rust_store, n))
    ops = ("create", "get", "set")
    return (
        {op: min(r[op] for r in py_rounds) for op in ops},
        {op: min(r[op] for r in rust_rounds) for op in ops},
    )


def gets(directory: str, n: int, rounds: int) -> Dict[str, Tuple[float, float]]:
    """Section 2: get from Python, from Rust and sqlite3's select, over the
    same keys: (wall, cpu) nanoseconds per call, best of the rounds."""
    store = coatcheck.Store(
        os.path.join(directory, "gets.redb"),
        sweep_interval=None,
        durability=timedelta(milliseconds=100),
    )
    db = sqlite3.connect(os.path.join(directory, "gets.sqlite"), isolation_level=None)
    with store:
        tokens = [store.create(data=DATA).token or "" for _ in range(n)]
        blob = json.dumps(DATA).encode()
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, data BLOB NOT NULL)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO sessions VALUES (?, ?)", [(t, blob) for t in tokens])
        db.execute("COMMIT")

        def python_gets() -> None:
            get = store.get
            for t in tokens:
                get(t)

        def rust_gets() -> None:
            _native._bench_gets(store, tokens)

        def sqlite_selects() -> None:
            execute = db.execute
            for t in tokens:
                execute("SELECT data FROM sessions WHERE id = ?", (t,)).fetchone()

        contenders = {"python": python_gets, "rust": rust_gets, "sqlite": sqlite_selects}
        for loop in contenders.values():  # warm up
            loop()
        results: Dict[str, List[Tuple[float, float]]] = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, loop in contenders.items():
                results[name].append(per_call_wall_and_cpu(n, loop))
    db.close()
    return {
        name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in results.items()
    }


def durable_writes(directory: str, n: int) -> Tuple[float, float]:
    """Section 3: durable create against sqlite3 insert + commit per row."""
    with coatcheck.Store(os.path.join(directory, "durable.redb"), sweep_interval=None) as store:

        def creates() -> None:
            for _ in range(n):
                store.create(data=DATA)

        create = per_call_ns(n, creates)
    db = sqlite3.connect(os.path.join(directory, "durable.sqlite"), isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, data BLOB NOT NULL)")
    blob = json.dumps(DATA).encode()

    def inserts() -> None:
        for _ in range(n):
            db.execute("BEGIN")
            db.execute("INSERT INTO sessions VALUES (?, ?)", (secrets.token_urlsafe(32), blob))
            db.execute("COMMIT")

    insert = per_call_ns(n, inserts)
    db.close()
    return create, insert


def fmt(ns: float) -> str:
    return f"{ns / 1000:8.2f} µs" if ns >= 1000 else f"{ns:8.0f} ns"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="calls per operation and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best of each is kept")
    parser.add_argument("--durable-n", type=int, default=1_000, help="durable writes per contender")
    args = parser.parse_args()
    n: int = args.n
    rounds: int = max(1, args.rounds)
    durable_n: int = min(args.durable_n, n)

    with tempfile.TemporaryDirectory() as directory:
        py, rust = faces(directory, n, rounds)
        get = gets(directory, n, rounds)
        durable_create, sqlite_insert = durable_writes(directory, durable_n)

    print(
        f"coatcheck {coatcheck.__version__}, Python {sys.version.split()[0]}, "
        f"n={n} calls per operation, best of {rounds} rounds; durable n={durable_n}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print()
    print("1. the Python face against Rust (wall clock)")
    print("                     Python         Rust    Python/Rust")
    for op in ("create", "get", "set"):
        print(f"  {op:<10} {fmt(py[op])} {fmt(rust[op])}    {py[op] / rust[op]:6.2f}x")
    print()
    print("2. get over the same keys            wall           CPU")
    labels = {
        "python": "coatcheck get from Python",
        "rust": "coatcheck get from Rust",
        "sqlite": "sqlite3 select by primary key",
    }
    for name, label in labels.items():
        wall, cpu = get[name]
        print(f"  {label:<31} {fmt(wall)}   {fmt(cpu)}")
    ratio = {i: get["python"][i] / get["rust"][i] for i in (0, 1)}
    faster = {i: get["sqlite"][i] / get["python"][i] for i in (0, 1)}
    print(f"  Python / Rust                   {ratio[0]:8.2f}x    {ratio[1]:8.2f}x")
    print(f"  sqlite3 / Python                {faster[0]:8.1f}x    {faster[1]:8.1f}x")
    print()
    print("3. durable writes, one thread (wall clock)")
    print(f"  sqlite3 insert + commit per row {fmt(sqlite_insert)}")
    print(
        f"  coatcheck durable create        {fmt(durable_create)}    "
        f"{sqlite_insert / durable_create:6.1f}x faster"
    )
    print()
    ok_ratio, ok_sqlite = ratio[1] <= 3.0, faster[1] >= 10.0
    print(
        f"targets (CPU time): Python get <= 3x Rust get: {ratio[1]:.2f}x "
        f"{'ok' if ok_ratio else 'MISSED'}; Python get >= 10x faster than sqlite3 select: "
        f"{faster[1]:.1f}x {'ok' if ok_sqlite else 'MISSED'}"
    )
    return 0 if ok_ratio and ok_sqlite else 1


if __name__ == "__main__":
    sys.exit(main())
