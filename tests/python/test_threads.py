"""One store shared by a pool of threads: no lost update, and the GIL is
released while the engine works."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import coatcheck

WORKERS = 8
ROUNDS = 50


def test_eight_workers_hammering_one_session_lose_no_update(path: Path) -> None:
    with coatcheck.Store(path, durability=0.05) as store:
        t = store.create(data={"total": 0}).token
        assert t is not None

        def bump(data: dict[str, Any]) -> None:
            data["total"] += 1

        def worker(w: int) -> None:
            for i in range(ROUNDS):
                store.set(t, f"w{w}", i + 1)  # each worker its own key
                store.update_with(t, bump)  # and one shared counter
                store.update(t, {f"u{w}": i})
                store.get(t)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(worker, range(WORKERS)))

        data = store.get(t).data
        assert data["total"] == WORKERS * ROUNDS
        for w in range(WORKERS):
            assert data[f"w{w}"] == ROUNDS
            assert data[f"u{w}"] == ROUNDS - 1


def test_durable_writers_share_commits(path: Path) -> None:
    """With immediate durability, concurrent writers share fsyncs (group
    commit): this only happens if the GIL is released during the write."""
    with coatcheck.Store(path) as store:
        tokens = [store.create().token for _ in range(WORKERS)]
        before = store.stats().durable_commits

        def worker(t: Any) -> None:
            for i in range(ROUNDS):
                store.set(t, "n", i)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(worker, tokens))
        durable = store.stats().durable_commits - before
        assert all(store.get(t or "")["n"] == ROUNDS - 1 for t in tokens)
        assert durable < WORKERS * ROUNDS, f"{durable} fsyncs for {WORKERS * ROUNDS} writes"


def test_sessions_created_from_many_threads_are_all_there() -> None:
    with coatcheck.Store(sweep_interval=None) as store:

        def worker(w: int) -> list[str]:
            return [store.create(user=f"user{w}").id for _ in range(ROUNDS)]

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            ids = [i for chunk in pool.map(worker, range(WORKERS)) for i in chunk]
        assert len(set(ids)) == WORKERS * ROUNDS
        assert store.count() == WORKERS * ROUNDS
        assert store.count_users() == WORKERS
