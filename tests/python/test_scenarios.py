"""More of the scenarios of the Rust suite (tests/*.rs), from Python:
lifetimes, login rules, eviction, emptied sessions, prefixes, the file."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import coatcheck


def store_with(clock: coatcheck.ManualClock, **config: object) -> coatcheck.Store:
    return coatcheck.Store(clock=clock, sweep_interval=None, **config)  # type: ignore[arg-type]


def test_last_update_basis_ignores_reads(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, ttl_basis="last_update", idle_timeout=60) as store:
        t = store.create().token or ""
        clock.advance(50)
        store.get(t)  # a read does not extend it
        clock.advance(15)
        with pytest.raises(coatcheck.SessionExpired):
            store.get(t)
        t = store.create().token or ""
        clock.advance(50)
        store.set(t, "k", 1)  # a write does
        clock.advance(50)
        assert store.get(t)["k"] == 1


def test_created_basis_ignores_everything(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, ttl_basis="created", idle_timeout=60) as store:
        t = store.create().token or ""
        clock.advance(50)
        store.set(t, "k", 1)
        clock.advance(15)
        with pytest.raises(coatcheck.SessionExpired):
            store.get(t)


def test_an_ended_session_reports_revoked_until_it_would_have_expired(
    store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    t = store.create().token or ""
    store.logout(t)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(coatcheck.SessionRevoked):
        store.get(t)
    clock.advance(timedelta(minutes=21))
    store.sweep()
    with pytest.raises(coatcheck.SessionNotFound) as info:
        store.get(t)
    assert type(info.value) is coatcheck.SessionNotFound


def test_login_as_another_user_clears_the_data(store: coatcheck.Store) -> None:
    t = store.create(user="alice", data={"secret": "alice's"}).token or ""
    bob = store.login(t, "bob")
    assert bob.user == "bob" and bob.data == {}


def test_login_without_regeneration_keeps_the_token(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, regenerate_on_login=False) as store:
        t = store.create(data={"cart": [1]}).token or ""
        s = store.login(t, "alice")
        assert s.token is None
        assert store.get(t).user == "alice" and store.get(t)["cart"] == [1]


def test_max_sessions_per_user_evicts_the_least_recently_used(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, max_sessions_per_user=2) as store:
        first = store.create(user="alice").token or ""
        clock.advance(1)
        second = store.create(user="alice").token or ""
        clock.advance(1)
        store.get(first)  # first is now more recent than second
        clock.advance(1)
        third = store.create(user="alice").token or ""
        with pytest.raises(coatcheck.SessionRevoked) as info:
            store.get(second)
        assert info.value.reason == "evicted"
        assert store.get(first) and store.get(third)
        assert len(store.sessions_of("alice")) == 2


def test_destroy_when_empty_removes_emptied_anonymous_sessions(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, destroy_when_empty=True) as store:
        t = store.create(data={"k": 1}).token or ""
        store.remove(t, "k")
        with pytest.raises(coatcheck.SessionNotFound):
            store.get(t)
        empty = store.create().token or ""
        assert store.get(empty).data == {}, "create still makes an empty session"


def test_meta_and_lifetime_change_without_moving_the_version(store: coatcheck.Store) -> None:
    t = store.create().token or ""
    store.set_meta(t, label="phone")
    store.set_lifetime(t, coatcheck.Lifetime(60, 120))
    store.set_remember(t, True)
    assert store.get(t).version == 0


def test_tokens_carry_the_prefix_and_a_foreign_prefix_is_refused(clock: coatcheck.ManualClock) -> None:
    with store_with(clock, token_prefix="cc_") as store:
        t = store.create().token or ""
        assert t.startswith("cc_")
        with pytest.raises(coatcheck.InvalidToken):
            store.get("xx_" + t[3:])
        with pytest.raises(coatcheck.InvalidToken):
            store.get(t + "!")


def test_the_file_holds_no_token(path: Path) -> None:
    with coatcheck.Store(path) as store:
        s = store.create(user="alice", data={"k": "v"})
        store.flush()
    data = path.read_bytes()
    assert (s.token or "").encode() not in data


def test_another_process_is_locked_out_at_once(path: Path) -> None:
    with coatcheck.Store(path):
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, coatcheck\n"
                "try:\n"
                "    coatcheck.Store(sys.argv[1])\n"
                "except coatcheck.StoreLocked as e:\n"
                "    print(e.kind, e)\n",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("locked ") and "shared=True" in child.stdout
