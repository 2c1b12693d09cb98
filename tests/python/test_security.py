"""Security review findings (issue 11) through the Python face: each test is
named for the behaviour the fix guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest

import coatcheck


def test_login_ends_a_pair_issued_before_it(store: coatcheck.Store) -> None:
    planted = store.create().token
    assert planted is not None
    pair = store.issue_pair(planted)
    signed_in = store.login(planted, "victim")
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.refresh(pair.refresh)
    assert info.value.reason == "rotated"
    with pytest.raises(coatcheck.SessionRevoked):
        store.verify_access(pair.access)
    assert signed_in.token is not None
    fresh = store.issue_pair(signed_in.token)
    assert store.verify_access(fresh.access).user == "victim"


def test_a_spent_refresh_token_replayed_after_login_is_theft(
    store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    t = store.create().token
    assert t is not None
    first = store.issue_pair(t)
    store.refresh(first.refresh)
    signed_in = store.login(t, "ada")
    assert signed_in.token is not None
    clock.advance(60)
    with pytest.raises(coatcheck.TokenReuse):
        store.refresh(first.refresh)
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(signed_in.token)
    assert info.value.reason == "theft"


def test_zero_refresh_grace_means_no_grace(clock: coatcheck.ManualClock) -> None:
    with coatcheck.Store(clock=clock, sweep_interval=None, refresh_grace=0) as store:
        t = store.create(user="u").token
        assert t is not None
        pair = store.issue_pair(t)
        store.refresh(pair.refresh)
        with pytest.raises(coatcheck.TokenReuse):
            store.refresh(pair.refresh)


def test_a_second_issue_pair_stops_the_first_access_token(store: coatcheck.Store) -> None:
    t = store.create(user="u").token
    assert t is not None
    first = store.issue_pair(t)
    second = store.issue_pair(t)
    with pytest.raises(coatcheck.SessionNotFound):
        store.verify_access(first.access)
    assert store.verify_access(second.access).user == "u"


def test_an_expired_access_token_says_refresh_not_sign_in(
    store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    t = store.create(user="u").token
    assert t is not None
    pair = store.issue_pair(t)
    clock.advance(16 * 60)
    with pytest.raises(coatcheck.AccessTokenExpired) as info:
        store.verify_access(pair.access)
    assert not isinstance(info.value, coatcheck.SessionNotFound)
    assert info.value.kind == "access_expired"
    assert info.value.expired_at == pair.access_expires_at
    assert store.verify_access(store.refresh(pair.refresh).access).user == "u"


def test_cookie_candidates_and_a_tossed_signed_cookie(store: coatcheck.Store) -> None:
    from coatcheck.http import CookieConfig

    config = CookieConfig(signed=True, keys=[b"k" * 32])
    s = store.create()
    ours = config.set_cookie(s).split(";")[0]
    planted = "session=" + "B" * 43 + ".AAAA"
    assert config.token_from_cookie_header(f"{planted}; {ours}") == s.token
    plain = CookieConfig()
    a, b = "A" * 43, "B" * 43
    header = f"session={a}; x=1; session={b}; session={a}"
    assert plain.token_candidates_from_cookie_header(header) == [a, b]
    assert plain.token_from_cookie_header(header) == a


def test_host_and_secure_prefixes_are_checked() -> None:
    from coatcheck.http import CookieConfig

    CookieConfig("__Host-session")
    for bad in [
        dict(domain="example.com"),
        dict(path="/app"),
        dict(secure=False),
    ]:
        with pytest.raises(coatcheck.InvalidArgument, match="__Host-"):
            CookieConfig("__Host-session", **bad)  # type: ignore[arg-type]
    with pytest.raises(coatcheck.InvalidArgument, match="__Secure-"):
        CookieConfig("__Secure-session", secure=False)


def test_short_cookie_keys_are_refused() -> None:
    from coatcheck.http import CookieConfig

    with pytest.raises(coatcheck.InvalidArgument, match="32 bytes"):
        CookieConfig(signed=True, keys=[b"k"])


def test_a_devices_page_cannot_end_another_users_session(store: coatcheck.Store) -> None:
    ada = store.create(user="ada")
    bob = store.create(user="bob")
    assert not store.destroy_user_session("ada", bob.id)
    assert bob.token is not None and store.get(bob.token).user == "bob"
    assert store.destroy_user_session("ada", ada.id)
    assert ada.token is not None
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(ada.token)
    assert info.value.reason == "logout"


def test_a_password_change_keeps_only_this_session(store: coatcheck.Store) -> None:
    laptop = store.create(user="ada").token
    phone = store.create(user="ada").token
    assert laptop is not None and phone is not None
    pair = store.issue_pair(phone)
    assert store.revoke_pairs(phone) is True
    assert store.revoke_pairs(phone) is False
    with pytest.raises(coatcheck.SessionRevoked):
        store.refresh(pair.refresh)
    renewed = store.revoke_others_and_regenerate(laptop)
    assert renewed.token is not None and renewed.token != laptop
    assert store.get(renewed.token).user == "ada"
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(phone)
    assert info.value.reason == "logout_everywhere"
    anonymous = store.create().token
    assert anonymous is not None
    with pytest.raises(coatcheck.InvalidArgument):
        store.revoke_others_and_regenerate(anonymous)


def test_the_event_hook_hears_sessions_but_never_a_token(clock: coatcheck.ManualClock) -> None:
    import queue
    import sys

    heard: "queue.Queue[dict[str, str]]" = queue.Queue()
    with coatcheck.Store(clock=clock, sweep_interval=None, on_event=heard.put) as store:
        s = store.create()
        assert s.token is not None
        signed_in = store.login(s.token, "ada")
        assert signed_in.token is not None
        store.logout(signed_in.token)
        events = [heard.get(timeout=10) for _ in range(3)]
        assert store.stats().events_dropped == 0
    assert [e["kind"] for e in events] == ["created", "login", "ended"]
    assert events[1] == {"kind": "login", "id": signed_in.id, "previous_id": s.id, "user": "ada"}
    assert events[2]["reason"] == "logout"
    text = repr(events)
    assert s.token not in text and signed_in.token not in text

    # A failing hook is reported as unraisable and never reaches the store.
    failures: "queue.Queue[object]" = queue.Queue()

    def broken(event: dict[str, str]) -> None:
        raise RuntimeError("hook failed")

    old = sys.unraisablehook
    sys.unraisablehook = lambda info: failures.put(info.exc_value)
    try:
        with coatcheck.Store(clock=clock, sweep_interval=None, on_event=broken) as store:
            t = store.create().token
            assert t is not None and store.get(t) is not None
            assert isinstance(failures.get(timeout=10), RuntimeError)
    finally:
        sys.unraisablehook = old


def test_a_bound_session_presented_by_another_client_ends(clock: coatcheck.ManualClock) -> None:
    with coatcheck.Store(
        clock=clock, sweep_interval=None, bind_user_agent=True, bind_ip_prefix=(24, 64)
    ) as store:
        t = store.create(user="u", ip="203.0.113.7", user_agent="Firefox").token
        assert t is not None
        assert store.get_from(t, ip="203.0.113.99", user_agent="Firefox").user == "u"
        with pytest.raises(coatcheck.SessionRevoked) as info:
            store.get_from(t, ip="198.51.100.7", user_agent="Firefox")
        assert info.value.reason == "binding_mismatch"
        with pytest.raises(coatcheck.SessionRevoked):
            store.get(t)
    with pytest.raises(coatcheck.InvalidArgument, match="ipv4_prefix"):
        coatcheck.Store(bind_ip_prefix=(33, 64))


def test_access_keys_rotate(clock: coatcheck.ManualClock, tmp_path: Path) -> None:
    old, new = b"o" * 32, b"n" * 32
    path = tmp_path / "s.redb"
    with coatcheck.Store(path, clock=clock, sweep_interval=None, access_key=old) as store:
        t = store.create(user="u").token
        assert t is not None
        pair = store.issue_pair(t)
    with coatcheck.Store(
        path, clock=clock, sweep_interval=None, access_key=new, retired_access_keys=[old]
    ) as store:
        assert store.verify_access(pair.access).user == "u"
        fresh = store.issue_pair(t)
    with coatcheck.Store(path, clock=clock, sweep_interval=None, access_key=new) as store:
        assert store.verify_access(fresh.access).user == "u"
        with pytest.raises(coatcheck.InvalidToken):
            store.verify_access(pair.access)
    with pytest.raises(coatcheck.InvalidArgument, match="retired_access_keys"):
        coatcheck.Store(retired_access_keys=[b"short"])
