"""``SESSION_ENGINE = "coatcheck.django"`` against Django's contract for a
session backend (the behaviour its own ``db`` and ``cache`` backends and its
tests define), through Django's test ``Client`` and ``SessionStore`` itself."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

import coatcheck

pytestmark = pytest.mark.usefixtures("django_store")

COOKIE = "sessionid"
TWO_WEEKS = 1209600


def client() -> Any:
    from django.test import Client

    return Client()


def token_of(c: Any) -> str:
    return str(c.cookies[COOKIE].value)


# -- through the test client -------------------------------------------------


def test_a_request_that_never_touches_the_session_sets_no_cookie_and_writes_nothing(
    django_store: coatcheck.Store,
) -> None:
    r = client().get("/noop")
    assert COOKIE not in r.cookies
    assert not r.has_header("Vary")
    assert django_store.count() == 0


def test_a_request_that_only_reads_sets_no_cookie_and_writes_nothing(
    django_store: coatcheck.Store,
) -> None:
    r = client().get("/read")
    assert r.json() == {}
    assert COOKIE not in r.cookies
    assert r["Vary"] == "Cookie"
    assert django_store.count() == 0


def test_first_write_creates_a_session_whose_key_is_the_token(
    django_store: coatcheck.Store,
) -> None:
    c = client()
    r = c.get("/write", {"theme": "dark"})
    morsel = r.cookies[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert morsel["max-age"] == TWO_WEEKS
    assert django_store.count() == 1
    assert django_store.peek(token_of(c)).data == {"theme": "dark"}


def test_later_requests_read_and_change_the_same_session(
    django_store: coatcheck.Store,
) -> None:
    c = client()
    c.get("/write", {"a": "1", "b": "2"})
    token = token_of(c)
    assert c.get("/read").json() == {"a": "1", "b": "2"}
    c.get("/write", {"a": "changed"})
    c.get("/remove/b")
    assert c.get("/read").json() == {"a": "changed"}
    assert token_of(c) == token
    assert django_store.peek(token).data == {"a": "changed"}


def test_a_value_changed_in_place_is_saved(django_store: coatcheck.Store) -> None:
    c = client()
    c.get("/cart/apple")
    c.get("/cart/pear")
    assert django_store.peek(token_of(c)).data == {"cart": ["apple", "pear"]}


def test_a_bogus_cookie_gives_an_empty_session_and_a_new_key(
    django_store: coatcheck.Store,
) -> None:
    for bogus in ["nonsense", "x" * 43, "a" * 5000, "!!!!!!!!!!"]:
        c = client()
        c.cookies[COOKIE] = bogus
        assert c.get("/read").json() == {}
        c.get("/write", {"k": "v"})
        assert token_of(c) != bogus
        assert django_store.peek(token_of(c)).data == {"k": "v"}


def test_a_session_emptied_deletes_its_cookie(django_store: coatcheck.Store) -> None:
    c = client()
    c.get("/write", {"a": "1"})
    r = c.get("/logout")  # flush(): data cleared, session deleted, key dropped
    assert r.cookies[COOKIE].value == ""
    assert r.cookies[COOKIE]["max-age"] == 0
    assert django_store.count() == 0


def test_a_session_expires_after_session_cookie_age_without_a_save(
    django_store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    c = client()
    c.get("/write", {"a": "1"})
    clock.advance(TWO_WEEKS - 60)
    assert c.get("/read").json() == {"a": "1"}  # reads do not slide Django's age
    clock.advance(61)
    assert c.get("/read").json() == {}
    django_store.sweep()
    assert django_store.count() == 0


def test_a_save_restarts_the_age(django_store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    c = client()
    c.get("/write", {"a": "1"})
    clock.advance(TWO_WEEKS - 60)
    c.get("/write", {"a": "2"})
    clock.advance(TWO_WEEKS - 60)
    assert c.get("/read").json() == {"a": "2"}


def test_set_expiry_seconds_gives_the_session_its_own_age(
    django_store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    c = client()
    r = c.get("/expire/60")
    assert r.cookies[COOKIE]["max-age"] == 60
    clock.advance(59)
    assert c.get("/read").json() == {"x": 1, "_session_expiry": 60}
    clock.advance(2)
    assert c.get("/read").json() == {}


def test_set_expiry_zero_is_a_browser_session_cookie(
    django_store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    c = client()
    r = c.get("/expire/0")
    assert r.cookies[COOKIE]["max-age"] == ""
    assert r.cookies[COOKIE]["expires"] == ""
    clock.advance(TWO_WEEKS - 60)  # the server keeps it SESSION_COOKIE_AGE
    assert c.get("/read").json()["x"] == 1


def test_expire_at_browser_close_setting_writes_no_max_age(django_store: coatcheck.Store) -> None:
    from django.test import override_settings

    with override_settings(SESSION_EXPIRE_AT_BROWSER_CLOSE=True):
        c = client()
        r = c.get("/write", {"a": "1"})
        assert r.cookies[COOKIE]["max-age"] == ""


def test_cookie_settings_are_honoured(django_ready: None) -> None:
    from django.test import override_settings

    with override_settings(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_AGE=3600,
    ):
        r = client().get("/write", {"a": "1"})
        morsel = r.cookies["sid"]
        assert morsel["secure"] is True
        assert morsel["samesite"] == "Strict"
        assert morsel["path"] == "/app"
        assert morsel["domain"] == "example.com"
        assert morsel["max-age"] == 3600


@pytest.fixture
def ada(django_ready: None) -> None:
    from django.contrib.auth.models import User

    if not User.objects.filter(username="ada").exists():
        User.objects.create_user("ada", password="lovelace")


def test_login_cycles_the_key_keeps_the_cart_and_ends_the_old_key(
    django_store: coatcheck.Store, ada: None
) -> None:
    c = client()
    c.get("/cart/apple")
    before = token_of(c)
    assert c.get("/login", {"u": "ada", "p": "lovelace"}).content == b"in"
    after = token_of(c)
    assert after != before
    with pytest.raises(coatcheck.SessionRevoked) as ended:
        django_store.peek(before)
    assert ended.value.reason == "rotated"
    s = django_store.peek(after)
    assert s.data["cart"] == ["apple"]
    assert s.user == s.data["_auth_user_id"]


def test_devices_lists_the_users_sessions_and_logs_out_the_others(
    django_store: coatcheck.Store, ada: None
) -> None:
    laptop, phone, tablet = client(), client(), client()
    for c in (laptop, phone, tablet):
        c.get("/login", {"u": "ada", "p": "lovelace"})
    seen = laptop.get("/devices").json()
    assert len(seen["ids"]) == 3 and seen["this"] in seen["ids"]
    assert laptop.get("/logout-others").json() == {"ended": 2}
    assert laptop.get("/devices").json()["ids"] == [seen["this"]]
    assert "_auth_user_id" not in phone.get("/read").json()


def test_logout_ends_the_session_for_good(django_store: coatcheck.Store, ada: None) -> None:
    c = client()
    c.get("/login", {"u": "ada", "p": "lovelace"})
    token = token_of(c)
    c.get("/logout")
    with pytest.raises(coatcheck.SessionRevoked):
        django_store.peek(token)


def test_two_overlapping_requests_changing_different_keys_both_keep_their_change(
    django_store: coatcheck.Store,
) -> None:
    from . import django_urls

    c = client()
    c.get("/write", {"base": "1"})
    token = token_of(c)
    django_urls.BARRIER = threading.Barrier(2)

    def request(key: str) -> int:
        other = client()
        other.cookies[COOKIE] = token
        return int(other.get(f"/overlap/{key}").status_code)

    try:
        with ThreadPoolExecutor(2) as pool:
            assert list(pool.map(request, ["left", "right"])) == [200, 200]
    finally:
        django_urls.BARRIER = None
    assert django_store.peek(token).data == {"base": "1", "left": "done", "right": "done"}


def test_djangos_cache_backend_loses_one_of_two_overlapping_changes(django_ready: None) -> None:
    """The same scenario on Django's own cache backend, to show that the
    requests above do overlap: there the second save overwrites the first."""
    from django.test import override_settings

    from . import django_urls

    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        c = client()
        c.get("/write", {"base": "1"})
        key = token_of(c)
        django_urls.BARRIER = threading.Barrier(2)

        def request(k: str) -> None:
            other = client()
            other.cookies[COOKIE] = key
            other.get(f"/overlap/{k}")

        try:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(request, ["left", "right"]))
        finally:
            django_urls.BARRIER = None
        kept = c.get("/read").json()
        assert kept["base"] == "1"
        assert ("left" in kept) != ("right" in kept)


def test_a_session_logged_out_during_a_request_is_not_brought_back(
    django_store: coatcheck.Store,
) -> None:
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.core.exceptions import BadRequest

    from . import django_urls

    c = client()
    c.get("/write", {"a": "1"})
    token = token_of(c)
    # The view loads the session, then waits on the barrier, whose action
    # logs the session out (as a request on another device would) before
    # the view changes it: the view's save must not bring it back.
    django_urls.BARRIER = threading.Barrier(1, action=lambda: _ignore(django_store.destroy(token)))
    try:
        r = c.get("/overlap/late")
    finally:
        django_urls.BARRIER = None
    # Django's middleware raises SessionInterrupted (a BadRequest): a 400.
    assert r.status_code == 400
    assert COOKIE not in r.cookies
    assert issubclass(SessionInterrupted, BadRequest)
    assert django_store.count() == 0


# -- SessionStore itself (the calls Django's own backend tests make) ---------


def store_class() -> Any:
    from coatcheck.django import SessionStore

    return SessionStore


def test_new_session_is_neither_accessed_nor_modified() -> None:
    s = store_class()()
    assert s.modified is False and s.accessed is False
    assert s.session_key is None and s.is_empty()


def test_save_creates_and_delete_removes() -> None:
    s = store_class()()
    s["a"] = "b"
    s.save()
    assert s.exists(s.session_key)
    assert s["a"] == "b"  # save does not clear the data
    s.delete(s.session_key)
    assert not s.exists(s.session_key)


def test_load_of_an_unknown_key_creates_no_record(django_store: coatcheck.Store) -> None:
    s = store_class()("someunknownkey")
    assert s.load() == {}
    assert s.session_key is None
    assert not s.exists("someunknownkey")
    assert django_store.count() == 0


def test_save_of_a_session_deleted_elsewhere_raises_update_error() -> None:
    from django.contrib.sessions.backends.base import UpdateError

    cls = store_class()
    s1 = cls()
    s1["test_data"] = "value1"
    s1.save(must_create=True)
    cls(s1.session_key).delete()
    s1["test_data"] = "value2"
    with pytest.raises(UpdateError):
        s1.save()
    assert s1.load() == {}


def test_must_create_refuses_a_live_key() -> None:
    from django.contrib.sessions.backends.base import CreateError

    cls = store_class()
    s = cls()
    s.save()
    with pytest.raises(CreateError):
        cls(s.session_key).save(must_create=True)


def test_cycle_key_keeps_the_data_and_kills_the_old_key() -> None:
    cls = store_class()
    s = cls()
    s["a"], s["b"] = "c", "d"
    s.save()
    old = s.session_key
    s.cycle_key()
    assert not s.exists(old)
    assert s.session_key != old
    assert list(s.items()) == [("a", "c"), ("b", "d")]
    fresh = cls(s.session_key)  # without a cache
    fresh.cycle_key()
    assert sorted(fresh.items()) == [("a", "c"), ("b", "d")]


def test_flush_ends_the_session_and_drops_the_key() -> None:
    s = store_class()()
    s["x"] = 1
    s.save()
    key = s.session_key
    s.flush()
    assert s.session_key is None and not s.exists(key)
    assert s.modified and s.accessed


def test_clear_then_save_removes_every_key(django_store: coatcheck.Store) -> None:
    cls = store_class()
    s = cls()
    s.update({"a": 1, "b": 2})
    s.save()
    again = cls(s.session_key)
    again.clear()  # without loading first
    again["c"] = 3
    again.save()
    assert django_store.peek(s.session_key).data == {"c": 3}


def test_an_expiry_in_the_past_ends_the_session_at_once() -> None:
    cls = store_class()
    s = cls()
    s["foo"] = "bar"
    s.set_expiry(-timedelta(seconds=10))
    s.save()
    assert "foo" not in cls(s.session_key)


def test_set_expiry_none_restores_the_default_age(clock: coatcheck.ManualClock) -> None:
    cls = store_class()
    s = cls()
    s["a"] = 1
    s.set_expiry(60)
    s.save()
    s.set_expiry(None)
    s.save()
    clock.advance(3600)
    assert cls(s.session_key)["a"] == 1


def test_set_expiry_to_a_date_ends_it_then(clock: coatcheck.ManualClock) -> None:
    cls = store_class()
    s = cls()
    s["a"] = 1
    s.save()
    s.set_expiry(timedelta(hours=1))
    s.save()
    assert 3590 <= s.get_expiry_age() <= 3600
    clock.advance(3500)
    again = cls(s.session_key)
    again["b"] = 2  # a later save does not move a fixed date
    again.save()
    clock.advance(200)
    assert cls(s.session_key).load() == {}


def test_clearsessions_sweeps_expired_sessions(
    django_store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    from django.core.management import call_command

    s = store_class()()
    s["a"] = 1
    s.save()
    clock.advance(TWO_WEEKS + 1)
    call_command("clearsessions")
    assert django_store.stats().sessions_swept == 1


async def _async_flow() -> Any:
    cls = store_class()
    s = cls()
    await s.aset("a", 1)
    await s.asave()
    old = s.session_key
    await s.acycle_key()
    await s.asave()
    return old, s.session_key, await cls(s.session_key).aget("a"), await s.aexists(old)


def test_the_async_api_works_too() -> None:
    import asyncio

    old, new, value, old_exists = asyncio.run(_async_flow())
    assert new != old and value == 1 and old_exists is False


def _ignore(_: object) -> None:
    pass


def test_a_busy_session_still_ends_at_the_absolute_timeout(
    django_store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    c = client()
    c.get("/write", {"a": "0"})
    for day in range(1, 5):  # saved every 7 days: Django's age never runs out
        clock.advance(7 * 86400)
        c.get("/write", {"a": str(day)})
    clock.advance(2 * 86400)  # 30 days after creation
    assert c.get("/read").json() == {}


def test_coatcheck_absolute_timeout_sets_the_hard_limit(
    django_ready: None, clock: coatcheck.ManualClock
) -> None:
    from django.test import override_settings

    import coatcheck.django

    with override_settings(COATCHECK_ABSOLUTE_TIMEOUT=3 * 86400, SESSION_COOKIE_AGE=86400):
        c = client()
        c.get("/write", {"a": "0"})
        for half_day in range(1, 6):  # saved every 12 hours of a 24-hour age
            clock.advance(43200)
            c.get("/write", {"a": str(half_day)})
        clock.advance(43300)  # 3 days and 100 s after creation
        assert c.get("/read").json() == {}
    coatcheck.django.close_store()


def test_a_tossed_cookie_does_not_lock_the_user_out(django_store: coatcheck.Store) -> None:
    c = client()
    c.get("/write", {"a": "1"})
    live = token_of(c)
    stale = django_store.create().token
    assert stale is not None
    django_store.destroy(stale)
    # A sibling subdomain planted `sessionid=stale; Domain=…`: either order.
    for header in [f"{COOKIE}={stale}; {COOKIE}={live}", f"{COOKIE}={live}; {COOKIE}={stale}"]:
        assert client().get("/read", HTTP_COOKIE=header).json() == {"a": "1"}
