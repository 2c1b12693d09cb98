"""The web layer from Python: CSRF, token pairs, cookies."""

from __future__ import annotations

import pytest

import coatcheck
from coatcheck.http import CookieConfig, token_from_authorization

KEY = b"k" * 32
OLD_KEY = b"o" * 32


def test_csrf_tokens_are_masked_and_verified(store: coatcheck.Store) -> None:
    t = store.create().token
    assert t is not None
    a, b = store.csrf_token(t), store.csrf_token(t)
    assert a != b, "a fresh pad on every call"
    assert store.verify_csrf(t, a) and store.verify_csrf(t, b)
    assert not store.verify_csrf(t, "forged")
    other = store.create().token
    assert other is not None
    assert not store.verify_csrf(other, a)
    store.logout(t)
    with pytest.raises(coatcheck.SessionNotFound):
        store.verify_csrf(t, a)


def test_token_pairs_refresh_once(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    t = store.create(user="42").token
    assert t is not None
    pair = store.issue_pair(t)
    assert pair.access.count(".") == 2, "a JWT"
    assert pair.access_expires_at < pair.refresh_expires_at
    assert "<hidden>" in repr(pair) and pair.access not in repr(pair) and pair.refresh not in repr(pair)
    assert store.verify_access(pair.access).user == "42"
    assert token_from_authorization(f"Bearer {pair.access}") == pair.access
    nxt = store.refresh(pair.refresh)
    assert nxt.refresh != pair.refresh
    assert store.refresh(pair.refresh) == nxt, "a retry within refresh_grace gets the same pair"
    clock.advance(60)
    with pytest.raises(coatcheck.TokenReuse):
        store.refresh(pair.refresh)
    with pytest.raises(coatcheck.SessionRevoked) as info:
        store.get(t)
    assert info.value.reason == "theft"


def test_access_tokens_expire_and_are_checked(store: coatcheck.Store, clock: coatcheck.ManualClock) -> None:
    t = store.create().token
    assert t is not None
    pair = store.issue_pair(t)
    with pytest.raises(coatcheck.InvalidToken):
        store.verify_access(pair.access[:-2] + "xx")
    clock.advance(16 * 60)
    with pytest.raises(coatcheck.AccessTokenExpired):
        store.verify_access(pair.access)


def test_set_cookie_round_trips_through_the_cookie_header(store: coatcheck.Store) -> None:
    cookies = CookieConfig()
    s = store.create()
    header = cookies.set_cookie(s)
    assert header.startswith("session=")
    for attr in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert attr in header
    assert "Max-Age" not in header, "a browser-session cookie"
    sent = header.split(";")[0]
    assert cookies.token_from_cookie_header(f"theme=dark; {sent}") == s.token
    assert cookies.token_from_cookie_header("theme=dark") is None
    # Several cookies of the name (cookie tossing): the first candidate.
    assert cookies.token_from_cookie_header(f"{sent}; session={'B' * 43}") == s.token
    with pytest.raises(coatcheck.InvalidArgument, match="set_cookie_for"):
        cookies.set_cookie(store.get(s.token or ""))
    assert s.token is not None
    assert cookies.set_cookie_for(s.token, store.get(s.token)) == header


def test_remember_cookies_have_max_age(store: coatcheck.Store) -> None:
    header = CookieConfig().set_cookie(store.create(remember=True))
    assert "Max-Age=2592000" in header and "Expires=" in header


def test_signed_cookies_and_key_rotation(store: coatcheck.Store) -> None:
    s = store.create()
    old = CookieConfig(signed=True, keys=[OLD_KEY])
    new = CookieConfig(signed=True, keys=[KEY, OLD_KEY])
    sent = old.set_cookie(s).split(";")[0]
    assert new.token_from_cookie_header(sent) == s.token, "the old key is still accepted"
    assert CookieConfig(signed=True, keys=[KEY]).token_from_cookie_header(sent) is None
    forged = sent.rsplit(".", 1)[0] + ".AAAA"
    assert new.token_from_cookie_header(forged) is None
    assert "keys=<2 redacted>" in repr(new) and "kkkk" not in repr(new)


def test_cookie_config_is_checked() -> None:
    with pytest.raises(coatcheck.InvalidArgument, match="key"):
        CookieConfig(signed=True)
    with pytest.raises(coatcheck.InvalidArgument, match="32 bytes"):
        CookieConfig(keys=[b"short"])
    with pytest.raises(coatcheck.InvalidArgument):
        CookieConfig("bad name")
    with pytest.raises(ValueError, match="same_site"):
        CookieConfig(same_site="sometimes")  # type: ignore[arg-type]
    c = CookieConfig("sid", path="/app", domain="example.com", same_site="none", secure=False)
    assert (c.name, c.path, c.domain, c.same_site) == ("sid", "/app", "example.com", "none")
    header = c.clear_cookie()
    assert header.startswith("sid=;") and "Max-Age=0" in header
    assert "Secure" in header, "SameSite=None forces Secure"


def test_csrf_cookie_is_readable_by_scripts(store: coatcheck.Store) -> None:
    t = store.create().token
    assert t is not None
    csrf = store.csrf_token(t)
    header = CookieConfig().csrf_cookie(csrf)
    assert header.startswith(f"XSRF-TOKEN={csrf}") and "HttpOnly" not in header
    echoed = header.split(";")[0].split("=", 1)[1]
    assert store.verify_csrf(t, echoed)


def test_bearer_parsing() -> None:
    assert token_from_authorization("Bearer abc") == "abc"
    assert token_from_authorization("Basic abc") is None
    assert token_from_authorization("") is None
