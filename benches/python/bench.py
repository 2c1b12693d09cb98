"""coatcheck from Python, against the same calls made in Rust and against
sqlite3, all in one run.

    make bench-python            (builds the module in release mode first)
    python benches/python/bench.py [--n 20000] [--durable-n 1000]

1. create / get / set from Python, then the same calls in Rust on the same
   store (``coatcheck._native._bench``, which times a loop of Rust calls
   with the GIL released): the cost of the Python face. The store uses
   periodic durability here, so that the figures are the engine's and the
   binding's, not the disk's.
2. get from Python against sqlite3 ``SELECT data FROM sessions WHERE id = ?``
   (primary key, one prepared statement, the row fetched).
3. durable writes: ``create`` with ``durability="immediate"`` (one fsync per
   call, as one thread sees it) against sqlite3 ``INSERT`` + ``COMMIT`` per
   row (rollback journal, ``synchronous=FULL``).

Targets (issue #5): Python get <= 3x the Rust get; Python get >= 10x faster
than the sqlite3 select by primary key.
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
from typing import Callable, Dict, List

import coatcheck
from coatcheck import _native

DATA = {"cart": "three items", "n": 7}


def per_call_ns(n: int, loop: Callable[[], None]) -> float:
    start = time.perf_counter_ns()
    loop()
    return (time.perf_counter_ns() - start) / n


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


def bench_sqlite(directory: str, n: int, durable_n: int, rounds: int) -> Dict[str, float]:
    db = sqlite3.connect(os.path.join(directory, "sessions.sqlite"), isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, data BLOB NOT NULL)")
    blob = json.dumps(DATA).encode()
    ids = [secrets.token_urlsafe(32) for _ in range(n)]

    def durable_inserts() -> None:
        for i in ids[:durable_n]:
            db.execute("BEGIN")
            db.execute("INSERT INTO sessions VALUES (?, ?)", (i, blob))
            db.execute("COMMIT")

    insert_commit = per_call_ns(durable_n, durable_inserts)
    db.execute("BEGIN")
    db.executemany("INSERT INTO sessions VALUES (?, ?)", [(i, blob) for i in ids[durable_n:]])
    db.execute("COMMIT")

    def selects() -> None:
        execute = db.execute
        for i in ids:
            execute("SELECT data FROM sessions WHERE id = ?", (i,)).fetchone()

    select = min(per_call_ns(n, selects) for _ in range(rounds))
    db.close()
    return {"select": select, "insert_commit": insert_commit}


def bench_durable_create(directory: str, n: int) -> float:
    with coatcheck.Store(os.path.join(directory, "durable.redb"), sweep_interval=None) as store:

        def creates() -> None:
            for _ in range(n):
                store.create(data=DATA)

        return per_call_ns(n, creates)


def fmt(ns: float) -> str:
    return f"{ns / 1000:8.2f} µs" if ns >= 1000 else f"{ns:8.0f} ns"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="calls per operation")
    parser.add_argument("--durable-n", type=int, default=1_000, help="durable writes per contender")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best of each is kept")
    args = parser.parse_args()
    n: int = args.n
    durable_n: int = min(args.durable_n, n)
    rounds: int = max(1, args.rounds)

    with tempfile.TemporaryDirectory() as directory:
        # Rounds alternate between the two faces, each on its own store with
        # the same configuration, and the best round of each is kept: this
        # machine is shared, and the best round is the least disturbed one.
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
        py = {op: min(r[op] for r in py_rounds) for op in ("create", "get", "set")}
        rust = {op: min(r[op] for r in rust_rounds) for op in ("create", "get", "set")}
        sql = bench_sqlite(directory, n, durable_n, rounds)
        durable = bench_durable_create(directory, durable_n)

    print(
        f"coatcheck {coatcheck.__version__}, Python {sys.version.split()[0]}, "
        f"n={n} calls per operation, best of {rounds} rounds; durable n={durable_n}"
    )
    print()
    print("                     Python         Rust    Python/Rust")
    for op in ("create", "get", "set"):
        print(f"  {op:<10} {fmt(py[op])} {fmt(rust[op])}    {py[op] / rust[op]:6.2f}x")
    print()
    print(f"  sqlite3 select by primary key   {fmt(sql['select'])}")
    print(f"  coatcheck get from Python       {fmt(py['get'])}    {sql['select'] / py['get']:6.1f}x faster")
    print()
    print(f"  sqlite3 insert + commit per row {fmt(sql['insert_commit'])}")
    print(f"  coatcheck durable create        {fmt(durable)}    {sql['insert_commit'] / durable:6.1f}x faster")
    print()
    get_ratio = py["get"] / rust["get"]
    vs_sqlite = sql["select"] / py["get"]
    ok = get_ratio <= 3.0 and vs_sqlite >= 10.0
    print(
        f"targets: Python get <= 3x Rust get: {get_ratio:.2f}x {'ok' if get_ratio <= 3 else 'MISSED'}; "
        f"Python get >= 10x faster than sqlite3 select: {vs_sqlite:.1f}x {'ok' if vs_sqlite >= 10 else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
