"""The scenarios every face runs: create, read, write, login, logout
everywhere, expiry, sweep, flash, optimistic writes, locking, reopening."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import coatcheck


def test_create_get_set(store: coatcheck.Store) -> None:
    s = store.create(data={"cart": ["tea"]}, ip="203.0.113.7", user_agent="Firefox")
    assert s.token and s.id and s.user is None and s.version == 0
    assert s.data == {"cart": ["tea"]}
    assert s.meta.ip == "203.0.113.7" and s.meta.user_agent == "Firefox"
    store.set(s.token, "theme", "dark")
    got = store.get(s.token)
    assert got.token is None, "only create/regenerate/login show the token"
    assert got.id == s.id
    assert got.data == {"cart": ["tea"], "theme": "dark"}
    assert got["theme"] == "dark" and "cart" in got and got.get("nope", 7) == 7
    assert got.version == 1


def test_timestamps_are_aware_utc(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    clock.set(datetime(2026, 11, 29, 11, 42, 5, 123000, tzinfo=timezone.utc))
    s = store.create()
    assert s.created_at == datetime(2026, 11, 29, 11, 42, 5, 123000, tzinfo=timezone.utc)
    assert s.created_at.tzinfo is not None and s.created_at.utcoffset() == timedelta(0)
    assert s.expires_at - s.created_at == timedelta(minutes=30)
    assert s.last_access == s.created_at == s.last_update


def test_remove_and_update_merge(store: coatcheck.Store) -> None:
    t = store.create(data={"a": 1, "b": 2}).token
    assert t is not None
    assert store.remove(t, "a") == 1
    assert store.remove(t, "a") is None
    store.update(t, {"b": 3, "c": [1, 2]})
    assert store.get(t).data == {"b": 3, "c": [1, 2]}


def test_login_keeps_cart_and_changes_token(store: coatcheck.Store) -> None:
    visitor = store.create(data={"cart": ["green tea"]})
    assert visitor.token is not None
    signed_in = store.login(visitor.token, "alice")
    assert signed_in.token is not None and signed_in.token != visitor.token
    assert signed_in.id != visitor.id
    assert signed_in.user == "alice"
    assert store.get(signed_in.token).data == {"cart": ["green tea"]}
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(visitor.token)
    assert info.value.reason == "rotated"
    assert info.value.operation == "get"


def test_regenerate_keeps_data_and_kills_old_token(store: coatcheck.Store) -> None:
    old = store.create(data={"k": "v"}).token
    assert old is not None
    new = store.regenerate(old)
    assert new.token is not None and new.token != old
    assert store.get(new.token).data == {"k": "v"}
    with pytest.raises(coatcheck.SessionNotFound):
        store.get(old)


def test_sessions_of_lists_devices_without_tokens(store: coatcheck.Store) -> None:
    store.create(user="alice", user_agent="laptop")
    store.create(user="alice", user_agent="phone", label="Alice's phone", remember=True)
    store.create(user="bob")
    sessions = store.sessions_of("alice")
    assert sorted(s.meta.user_agent or "" for s in sessions) == ["laptop", "phone"]
    assert all(s.token is None and s.user == "alice" for s in sessions)
    assert store.sessions_of("carol") == []
    assert store.users() == ["alice", "bob"]
    assert store.users(after="alice") == ["bob"]
    assert store.users(limit=1) == ["alice"]
    assert store.count() == 3 and store.count_users() == 2


def test_destroy_user_logs_out_everywhere(store: coatcheck.Store) -> None:
    tokens = [store.create(user="alice").token for _ in range(3)]
    other = store.create(user="bob").token
    assert store.destroy_user("alice") == 3
    for t in tokens:
        assert t is not None
        with pytest.raises(coatcheck.SessionRevoked) as info:
            store.get(t)
        assert info.value.reason == "logout_everywhere"
    assert other is not None and store.get(other).user == "bob"


def test_destroy_user_except_keeps_this_device(store: coatcheck.Store) -> None:
    keep = store.create(user="alice")
    gone = store.create(user="alice")
    assert keep.token is not None and gone.token is not None
    assert store.destroy_user_except("alice", keep.id) == 1
    assert store.get(keep.token).user == "alice"
    with pytest.raises(coatcheck.SessionNotFound):
        store.get(gone.token)


def test_logout_and_destroy(store: coatcheck.Store) -> None:
    t = store.create().token
    assert t is not None
    assert store.logout(t) is True
    assert store.destroy(t) is False, "ending an ended session is not an error"
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(t)
    assert info.value.reason == "logout"
    with pytest.raises(coatcheck.SessionNotFound):
        store.set(t, "k", 1)


def test_admin_info_and_destroy_id(store: coatcheck.Store) -> None:
    s = store.create(user="alice", data={"x": 1})
    assert s.token is not None
    assert store.info(s.id).data == {"x": 1}
    assert store.destroy_id(s.id) is True
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(s.token)
    assert info.value.reason == "admin"
    with pytest.raises(coatcheck.InvalidArgument):
        store.info("not-hex")


def test_expiry_with_manual_clock(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    t = store.create().token
    assert t is not None
    clock.advance(timedelta(minutes=29))
    store.get(t)  # used: the idle timeout starts again
    clock.advance(timedelta(minutes=29))
    store.get(t)
    clock.advance(timedelta(minutes=31))
    with pytest.raises(coatcheck.SessionExpired) as info:
        store.get(t)
    assert isinstance(info.value, coatcheck.SessionNotFound)
    assert info.value.expired_at is not None and info.value.expired_at.tzinfo is not None


def test_absolute_timeout_bounds_a_busy_session(clock: coatcheck.ManualClock) -> None:
    with coatcheck.Store(clock=clock, sweep_interval=None, idle_timeout=60,
                         absolute_timeout=timedelta(minutes=5)) as store:
        t = store.create().token
        assert t is not None
        for _ in range(4):
            clock.advance(59)
            store.get(t)
        clock.advance(65)
        with pytest.raises(coatcheck.SessionExpired):
            store.get(t)


def test_sweep_removes_expired(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    old = store.create().token
    clock.advance(timedelta(minutes=20))
    young = store.create().token
    assert old is not None and young is not None
    clock.advance(timedelta(minutes=15))
    assert store.sweep() == 1
    assert store.count() == 1
    with pytest.raises(coatcheck.SessionNotFound):
        store.get(old)
    assert store.get(young).version == 0
    assert store.stats().sessions_swept == 1


def test_remember_uses_the_long_lifetime(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    s = store.create(remember=True)
    assert s.remember and s.expires_at - s.created_at == timedelta(days=30)
    assert s.token is not None
    store.set_remember(s.token, False)
    assert store.get(s.token).remember is False


def test_lifetime_per_session(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    kiosk = store.create(lifetime=coatcheck.Lifetime(idle=1, absolute=60))
    assert kiosk.token is not None
    assert kiosk.has_custom_lifetime
    assert kiosk.lifetime == coatcheck.Lifetime(timedelta(seconds=1), timedelta(minutes=1))
    assert kiosk.lifetime.idle == timedelta(seconds=1)
    clock.advance(2)
    with pytest.raises(coatcheck.SessionExpired):
        store.get(kiosk.token)
    t = store.create().token
    assert t is not None
    store.set_lifetime(t, (timedelta(minutes=5), timedelta(hours=1)))
    assert store.get(t).lifetime.idle == timedelta(minutes=5)
    store.set_lifetime(t, None)
    back = store.get(t)
    assert not back.has_custom_lifetime
    assert back.lifetime.idle == timedelta(minutes=30)


def test_now_reads_the_store_clock(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    before = store.now()
    assert before.tzinfo is not None
    clock.advance(timedelta(days=3))
    assert store.now() - before == timedelta(days=3)


def test_set_meta_replaces_it(store: coatcheck.Store) -> None:
    t = store.create(ip="1.2.3.4").token
    assert t is not None
    store.set_meta(t, label="kitchen tablet")
    assert store.get(t).meta == coatcheck.Meta(label="kitchen tablet")
    store.set_meta(t, coatcheck.Meta(ip="5.6.7.8"))
    assert store.get(t).meta.ip == "5.6.7.8"


def test_flash_is_read_once(store: coatcheck.Store) -> None:
    t = store.create().token
    assert t is not None
    store.flash(t, "notice", "Welcome back!")
    assert store.get(t).pending_flash == 1
    assert store.take_flash(t) == {"notice": "Welcome back!"}
    assert store.take_flash(t) == {}


def test_replace_if_conflicts_when_the_version_moved(store: coatcheck.Store) -> None:
    s = store.create(data={"n": 1})
    assert s.token is not None
    assert store.replace_if(s.token, s.version, {"n": 2}) == s.version + 1
    with pytest.raises(coatcheck.Conflict) as info:
        store.replace_if(s.token, s.version, {"n": 3})
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert store.get(s.token).data == {"n": 2}


def test_peek_does_not_touch(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    t = store.create().token
    assert t is not None
    clock.advance(20 * 60)
    assert store.peek(t).last_access == store.peek(t).created_at
    clock.advance(11 * 60)
    with pytest.raises(coatcheck.SessionExpired):
        store.peek(t)


def test_second_open_of_a_file_is_locked(path: Path) -> None:
    with coatcheck.Store(path) as first:
        with pytest.raises(coatcheck.StoreLocked) as info:
            coatcheck.Store(path)
        assert str(path) in str(info.value)
        assert "shared=True" in str(info.value)
        assert first.count() == 0


def test_reopen_after_close_keeps_data(path: Path) -> None:
    store = coatcheck.Store(path)
    t = store.create(user="alice", data={"cart": ["tea"], "blob": b"\x00\xff"}).token
    assert t is not None
    store.close()
    store.close()  # harmless twice
    with coatcheck.Store(str(path)) as again:
        got = again.get(t)
        assert got.user == "alice"
        assert got.data == {"cart": ["tea"], "blob": b"\x00\xff"}
        assert again.path == str(path)


def test_periodic_durability_and_flush(path: Path) -> None:
    with coatcheck.Store(path, durability=timedelta(milliseconds=200)) as store:
        t = store.create(data={"n": 1}).token
        assert t is not None
        store.flush()
        stats = store.stats()
        assert stats.sessions == 1 and stats.file_bytes > 0
