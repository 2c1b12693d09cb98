"""``Store.apply``: a batch of changes to one session in one atomic call and
one commit (what the framework adapters do at the end of every request)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

import coatcheck


def test_one_apply_sets_removes_flashes_and_changes_lifetime_in_one_commit(path: Path) -> None:
    with coatcheck.Store(path, sweep_interval=None) as store:
        t = store.create(data={"step": 1, "keep": "me"}).token
        assert t is not None
        version = store.peek(t).version
        commits = store.stats().durable_commits

        store.apply(
            t,
            set={"a": 1, "b": "two", "c": [3]},
            remove=["step"],
            flash={"notice": "Saved"},
            lifetime=(120, 3600),
            remember=True,
        )

        assert store.stats().durable_commits == commits + 1
        s = store.peek(t)
        assert s.data == {"a": 1, "b": "two", "c": [3], "keep": "me"}
        assert s.version == version + 1
        assert s.remember is True
        assert s.lifetime == coatcheck.Lifetime(timedelta(seconds=120), timedelta(hours=1))
        assert store.take_flash(t) == {"notice": "Saved"}


def test_an_apply_that_changes_nothing_writes_nothing(path: Path) -> None:
    with coatcheck.Store(path, sweep_interval=None) as store:
        t = store.create(data={"k": 1}).token
        assert t is not None
        version = store.peek(t).version
        commits = store.stats().durable_commits
        store.apply(t)
        store.apply(t, set={"k": 1}, remove=["absent"], remember=False)
        assert store.stats().durable_commits == commits
        assert store.peek(t).version == version


def test_reset_lifetime_goes_back_to_the_configured_one(store: coatcheck.Store) -> None:
    t = store.create(lifetime=(60, 600)).token
    assert t is not None
    store.apply(t, reset_lifetime=True)
    assert not store.peek(t).has_custom_lifetime
    with pytest.raises(ValueError):
        store.apply(t, lifetime=(60, 600), reset_lifetime=True)


@pytest.mark.parametrize(
    "batch",
    [
        {"set": {"a": 2, "": 3}},
        {"set": {"a": 2}, "remove": [""]},
        {"set": {"a": 2}, "flash": {"": "x"}},
        {"set": {"a": 2, "b": float("nan")}},
        {"set": {"a": 2, "b": object()}},
        {"set": {"a": 2}, "remember": True, "lifetime": (60, 10)},
        {"set": {"a": 2, "big": "x" * 1000}, "remove": ["k"]},
    ],
)
def test_a_bad_value_in_the_batch_changes_nothing(
    clock: coatcheck.ManualClock, batch: dict[str, object]
) -> None:
    with coatcheck.Store(clock=clock, sweep_interval=None, max_value_bytes=256) as store:
        t = store.create(data={"k": 1}).token
        assert t is not None
        before = store.peek(t)
        with pytest.raises((coatcheck.InvalidArgument, TypeError, ValueError)):
            store.apply(t, **batch)  # type: ignore[arg-type]
        after = store.peek(t)
        assert after.data == {"k": 1}
        assert after.version == before.version
        assert after.remember is False
        assert store.take_flash(t) == {}


def test_two_concurrent_applies_on_different_keys_both_survive(path: Path) -> None:
    with coatcheck.Store(path, sweep_interval=None) as store:
        t = store.create().token
        assert t is not None
        rounds = 30
        start = threading.Barrier(2)

        def worker(w: int) -> None:
            start.wait()
            for i in range(rounds):
                store.apply(t, set={f"a{w}": i, f"b{w}": i * 10}, flash={f"f{w}": i})

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(worker, range(2)))

        data = store.peek(t).data
        for w in range(2):
            assert data[f"a{w}"] == rounds - 1
            assert data[f"b{w}"] == (rounds - 1) * 10
        assert store.take_flash(t) == {"f0": rounds - 1, "f1": rounds - 1}


def test_an_apply_never_brings_back_an_ended_session(
    store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    ended = store.create().token
    assert ended is not None
    store.logout(ended)
    with pytest.raises(coatcheck.SessionNotFound):
        store.apply(ended, set={"k": 1})
    with pytest.raises(coatcheck.SessionNotFound):
        store.apply(ended)

    idle = store.create().token
    assert idle is not None
    clock.advance(timedelta(hours=1))
    with pytest.raises(coatcheck.SessionNotFound):
        store.apply(idle, set={"k": 1}, remember=True)
    with pytest.raises(coatcheck.SessionNotFound):
        store.peek(idle)


def test_clear_then_set_replaces_the_data_in_one_call(store: coatcheck.Store) -> None:
    t = store.create(data={"old": 1, "k": 0}).token
    assert t is not None
    version = store.peek(t).version
    store.apply(t, clear=True, set={"k": 2, "new": 3})
    s = store.peek(t)
    assert s.data == {"k": 2, "new": 3}
    assert s.version == version + 1
