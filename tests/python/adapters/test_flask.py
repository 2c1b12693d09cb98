"""``coatcheck.flask.SessionInterface`` against Flask's session contract
(what ``SecureCookieSessionInterface`` does), through Flask's test client."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
from flask import Flask, Response, jsonify, request, session
from flask.testing import FlaskClient

import coatcheck
import coatcheck.flask as ccf

BARRIER: Optional[threading.Barrier] = None


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        COATCHECK_PATH=None,
        COATCHECK_OPTIONS={"clock": _clock(), "sweep_interval": None},
        PERMANENT_SESSION_LIFETIME=timedelta(days=7),
    )
    ccf.SessionInterface(app)

    @app.get("/noop")
    def noop() -> str:
        return "nothing"

    @app.get("/read")
    def read() -> Response:
        return jsonify(dict(session))

    @app.get("/write")
    def write() -> Response:
        for key, value in request.args.items():
            session[key] = value
        return jsonify(dict(session))

    @app.get("/remove/<key>")
    def remove(key: str) -> str:
        session.pop(key, None)
        return "removed"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "ok"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/login/<user>")
    def login(user: str) -> str:
        ccf.login(user)
        return "in"

    @app.get("/regenerate")
    def regenerate() -> str:
        ccf.regenerate()
        return "ok"

    @app.get("/devices")
    def devices() -> Response:
        return jsonify({"this": session.id, "ids": [s.id for s in ccf.user_sessions()]})  # type: ignore[attr-defined]

    @app.get("/logout-others")
    def logout_others() -> Response:
        return jsonify({"ended": ccf.logout_other_devices()})

    @app.get("/csrf")
    def csrf() -> str:
        return ccf.csrf_token()

    @app.post("/form")
    def form() -> tuple[str, int]:
        return ("ok", 200) if ccf.verify_csrf() else ("csrf", 403)

    @app.get("/overlap/<key>")
    def overlap(key: str) -> str:
        session.get("anything")
        assert BARRIER is not None
        BARRIER.wait(timeout=10)
        session[key] = "done"
        return "ok"

    return app


_CLOCK: list[coatcheck.ManualClock] = []


def _clock() -> coatcheck.ManualClock:
    return _CLOCK[-1]


@pytest.fixture
def app(clock: coatcheck.ManualClock) -> Iterator[Flask]:
    _CLOCK.append(clock)
    app = make_app()
    yield app
    interface = app.session_interface
    assert isinstance(interface, ccf.SessionInterface)
    interface.close()


@pytest.fixture
def store(app: Flask) -> coatcheck.Store:
    interface = app.session_interface
    assert isinstance(interface, ccf.SessionInterface)
    return interface.store


def cookie(c: FlaskClient) -> Optional[str]:
    got = c.get_cookie("session")
    return None if got is None else got.value


def set_cookie_header(r: object) -> str:
    return str(r.headers.get("Set-Cookie", ""))  # type: ignore[attr-defined]


def test_a_request_that_never_touches_the_session_sets_no_cookie_and_writes_nothing(
    app: Flask, store: coatcheck.Store
) -> None:
    r = app.test_client().get("/noop")
    assert "Set-Cookie" not in r.headers
    assert "Vary" not in r.headers
    assert store.count() == 0


def test_reading_an_empty_session_varies_on_cookie_but_writes_nothing(
    app: Flask, store: coatcheck.Store
) -> None:
    r = app.test_client().get("/read")
    assert r.json == {}
    assert "Set-Cookie" not in r.headers
    assert r.headers["Vary"] == "Cookie"
    assert store.count() == 0


def test_first_write_creates_a_server_side_session_with_a_browser_cookie(
    app: Flask, store: coatcheck.Store
) -> None:
    c = app.test_client()
    r = c.get("/write?theme=dark")
    header = set_cookie_header(r)
    assert "HttpOnly" in header and "Path=/" in header
    assert "Expires" not in header and "Max-Age" not in header
    token = cookie(c)
    assert token is not None and "dark" not in token
    assert store.peek(token).data == {"theme": "dark"}


def test_later_requests_read_change_and_remove(app: Flask, store: coatcheck.Store) -> None:
    c = app.test_client()
    c.get("/write?a=1&b=2")
    token = cookie(c)
    assert c.get("/read").json == {"a": "1", "b": "2"}
    c.get("/write?a=changed")
    c.get("/remove/b")
    assert c.get("/read").json == {"a": "changed"}
    assert cookie(c) == token
    assert store.peek(token or "").data == {"a": "changed"}


def test_cookie_follows_flasks_session_cookie_settings(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    header = set_cookie_header(app.test_client().get("/write?a=1"))
    assert header.startswith("sid=")
    for part in ["Domain=example.com", "Path=/app", "Secure", "HttpOnly", "SameSite=Strict"]:
        assert part in header


def test_permanent_session_remembers_and_lasts_the_lifetime(
    app: Flask, store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    c = app.test_client()
    r = c.get("/permanent")
    assert "Expires=" in set_cookie_header(r)
    token = cookie(c) or ""
    s = store.peek(token)
    assert s.remember and "_permanent" not in s.data
    clock.advance(timedelta(days=6))
    assert c.get("/read").json == {"p": 1, "_permanent": True}
    clock.advance(timedelta(days=7, seconds=1))
    assert c.get("/read").json == {}


def test_a_bogus_cookie_gives_an_empty_session(app: Flask, store: coatcheck.Store) -> None:
    for bogus in ["nonsense", "x" * 43, "a" * 600]:
        c = app.test_client()
        c.set_cookie("session", bogus)
        assert c.get("/read").json == {}
        c.get("/write?k=v")
        assert cookie(c) != bogus
        assert store.peek(cookie(c) or "").data == {"k": "v"}


def test_clearing_the_session_deletes_cookie_and_record(app: Flask, store: coatcheck.Store) -> None:
    c = app.test_client()
    c.get("/write?a=1")
    r = c.get("/clear")
    assert "Expires=Thu, 01 Jan 1970" in set_cookie_header(r)
    assert cookie(c) is None
    assert store.count() == 0


def test_login_regenerates_keeps_data_and_ends_old_token(app: Flask, store: coatcheck.Store) -> None:
    c = app.test_client()
    c.get("/write?cart=apple")
    before = cookie(c) or ""
    c.get("/login/ada")
    after = cookie(c) or ""
    assert after != before
    with pytest.raises(coatcheck.SessionRevoked):
        store.peek(before)
    s = store.peek(after)
    assert s.user == "ada" and s.data == {"cart": "apple"}
    c.get("/regenerate")
    assert cookie(c) not in (before, after)
    assert c.get("/read").json == {"cart": "apple"}


def test_devices_and_logout_other_devices(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    laptop.get("/login/ada")
    phone.get("/login/ada")
    seen = laptop.get("/devices").json or {}
    assert len(seen["ids"]) == 2 and seen["this"] in seen["ids"]
    assert (laptop.get("/logout-others").json or {})["ended"] == 1
    assert phone.get("/read").json == {}


def test_csrf_token_round_trip(app: Flask) -> None:
    c = app.test_client()
    token = c.get("/csrf").get_data(as_text=True)
    assert cookie(c) is not None  # the session exists now
    assert c.post("/form", data={"csrf_token": token}).status_code == 200
    assert c.post("/form", headers={"X-CSRFToken": token}).status_code == 200
    assert c.post("/form", data={"csrf_token": "forged"}).status_code == 403
    assert app.test_client().post("/form", data={"csrf_token": token}).status_code == 403


def test_two_overlapping_requests_changing_different_keys_both_keep_their_change(
    app: Flask, store: coatcheck.Store
) -> None:
    global BARRIER
    c = app.test_client()
    c.get("/write?base=1")
    token = cookie(c) or ""
    BARRIER = threading.Barrier(2)

    def one(key: str) -> int:
        other = app.test_client()
        other.set_cookie("session", token)
        return other.get(f"/overlap/{key}").status_code

    try:
        with ThreadPoolExecutor(2) as pool:
            assert list(pool.map(one, ["left", "right"])) == [200, 200]
    finally:
        BARRIER = None
    assert store.peek(token).data == {"base": "1", "left": "done", "right": "done"}


def test_a_session_logged_out_meanwhile_is_not_brought_back(
    app: Flask, store: coatcheck.Store
) -> None:
    global BARRIER
    c = app.test_client()
    c.get("/write?a=1")
    token = cookie(c) or ""
    BARRIER = threading.Barrier(1, action=lambda: None if store.destroy(token) else None)
    try:
        r = c.get("/overlap/late")
    finally:
        BARRIER = None
    assert r.status_code == 200
    assert cookie(c) is None
    assert store.count() == 0


def test_a_tossed_cookie_does_not_lock_the_user_out(app: Flask, store: coatcheck.Store) -> None:
    c = app.test_client()
    c.get("/write?a=1")
    live = cookie(c)
    stale = store.create().token
    assert live is not None and stale is not None
    store.destroy(stale)
    # A sibling subdomain planted `session=stale; Domain=…`: either order.
    browser = app.test_client(use_cookies=False)
    for header in [f"session={stale}; session={live}", f"session={live}; session={stale}"]:
        assert browser.get("/read", headers={"Cookie": header}).json == {"a": "1"}


def test_a_busy_session_still_ends_at_the_absolute_timeout(
    app: Flask, clock: coatcheck.ManualClock
) -> None:
    c = app.test_client()
    c.get("/write?a=1")
    for _ in range(4):  # used every 6 days of a 7-day lifetime
        clock.advance(6 * 86400)
        assert c.get("/read").json == {"a": "1"}
    clock.advance(6 * 86400)  # 30 days after creation
    assert c.get("/read").json == {}


def test_coatcheck_absolute_timeout_sets_the_hard_limit(
    app: Flask, clock: coatcheck.ManualClock
) -> None:
    app.config["COATCHECK_ABSOLUTE_TIMEOUT"] = timedelta(days=10)
    c = app.test_client()
    c.get("/write?a=1")
    clock.advance(6 * 86400)
    assert c.get("/read").json == {"a": "1"}
    clock.advance(4 * 86400)
    assert c.get("/read").json == {}

def test_a_store_that_cannot_open_is_reported_once_and_never_as_an_assertion(
    app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["COATCHECK_PATH"] = str(tmp_path)  # a directory: opening fails
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500, logged
    for path, cookie in [("/read", "x" * 43), ("/write?k=v", None)]:
        caplog.clear()
        c = app.test_client()
        if cookie is not None:  # open_session reads the store
            c.set_cookie("session", cookie)
        assert c.get(path).status_code == 500
        reported = [record for record in caplog.records if record.exc_info]
        assert len(reported) == 1, [record.getMessage() for record in reported]
        exc_info = reported[0].exc_info
        assert exc_info is not None and isinstance(exc_info[1], coatcheck.StoreIOError)
        assert "AssertionError" not in caplog.text
