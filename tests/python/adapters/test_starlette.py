"""``coatcheck.starlette.SessionMiddleware`` against Starlette's own
``SessionMiddleware`` contract, through Starlette's ``TestClient`` and a
FastAPI app (the dependency for the user's sessions)."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import anyio
import pytest
from fastapi import Depends, FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import coatcheck
import coatcheck.starlette as ccs

EVENTS: Dict[str, threading.Event] = {}


def make_app(store: coatcheck.Store, **cookie: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(ccs.SessionMiddleware, store=store, **cookie)

    @app.get("/noop")
    async def noop() -> str:
        return "nothing"

    @app.get("/read")
    async def read(request: Request) -> Dict[str, Any]:
        return dict(request.session)

    @app.get("/write")
    async def write(request: Request) -> Dict[str, Any]:
        request.session.update(request.query_params)
        return dict(request.session)

    @app.get("/remove/{key}")
    async def remove(request: Request, key: str) -> str:
        request.session.pop(key, None)
        return "removed"

    @app.get("/clear")
    async def clear(request: Request) -> str:
        request.session.clear()
        return "cleared"

    @app.get("/login/{user}")
    async def login(request: Request, user: str) -> str:
        await ccs.login(request, user)
        return "in"

    @app.get("/devices")
    async def devices(
        request: Request, sessions: List[coatcheck.Session] = Depends(ccs.user_sessions)
    ) -> Dict[str, Any]:
        return {"this": request.session.id, "ids": [s.id for s in sessions]}  # type: ignore[attr-defined]

    @app.get("/logout-others")
    async def logout_others(request: Request) -> int:
        return await ccs.logout_other_devices(request)

    @app.get("/csrf")
    async def csrf(request: Request) -> Response:
        return Response(await ccs.csrf_token(request))

    @app.post("/form")
    async def form(request: Request) -> Response:
        return Response(status_code=200 if await ccs.verify_csrf(request) else 403)

    @app.get("/overlap/{key}")
    async def overlap(request: Request, key: str) -> str:
        request.session.get("anything")
        # Both requests have loaded the session before either changes it.
        EVENTS[key].set()
        other = "right" if key == "left" else "left"
        await anyio.to_thread.run_sync(EVENTS[other].wait, 10)
        request.session[key] = "done"
        return "ok"

    return app


@pytest.fixture
def store(clock: coatcheck.ManualClock) -> Iterator[coatcheck.Store]:
    with coatcheck.Store(clock=clock, sweep_interval=None, ttl_basis="last_update",
                         idle_timeout=14 * 24 * 3600, absolute_timeout=90 * 24 * 3600) as s:
        yield s


@pytest.fixture
def client(store: coatcheck.Store) -> Iterator[TestClient]:
    with TestClient(make_app(store)) as c:
        yield c


def token(c: TestClient) -> Optional[str]:
    return c.cookies.get("session")


def test_a_request_that_never_touches_the_session_sets_no_cookie_and_writes_nothing(
    client: TestClient, store: coatcheck.Store
) -> None:
    r = client.get("/noop")
    assert "set-cookie" not in r.headers and "vary" not in r.headers
    assert store.count() == 0


def test_reading_varies_on_cookie_but_sets_none(client: TestClient, store: coatcheck.Store) -> None:
    r = client.get("/read")
    assert r.json() == {} and r.headers["vary"] == "Cookie"
    assert "set-cookie" not in r.headers
    assert store.count() == 0


def test_first_write_sets_a_cookie_like_starlettes(client: TestClient, store: coatcheck.Store) -> None:
    r = client.get("/write", params={"theme": "dark"})
    header = r.headers["set-cookie"]
    assert "path=/" in header and "Max-Age=1209600" in header
    assert "httponly" in header and "samesite=lax" in header and "secure" not in header
    assert store.peek(token(client) or "").data == {"theme": "dark"}


def test_later_requests_read_change_and_remove(client: TestClient, store: coatcheck.Store) -> None:
    client.get("/write", params={"a": "1", "b": "2"})
    t = token(client)
    assert client.get("/read").json() == {"a": "1", "b": "2"}
    client.get("/write", params={"a": "changed"})
    r = client.get("/remove/b")
    assert "set-cookie" in r.headers
    assert client.get("/read").json() == {"a": "changed"}
    assert token(client) == t
    assert store.peek(t or "").data == {"a": "changed"}


def test_cookie_options_mirror_starlettes(store: coatcheck.Store) -> None:
    app = make_app(store, session_cookie="sid", max_age=None, path="/app",
                   same_site="strict", https_only=True, domain="example.com")
    with TestClient(app, base_url="https://example.com") as c:
        header = c.get("/write", params={"a": "1"}).headers["set-cookie"]
    assert header.startswith("sid=") and "Max-Age" not in header
    for part in ["path=/app", "samesite=strict", "secure", "domain=example.com"]:
        assert part in header


def test_a_bogus_cookie_gives_an_empty_session(store: coatcheck.Store) -> None:
    for bogus in ["nonsense", "x" * 43, "a" * 600]:
        with TestClient(make_app(store), cookies={"session": bogus}) as c:
            r = c.get("/read")
            assert r.status_code == 200 and r.json() == {}
            r = c.get("/write", params={"k": "v"})
            fresh = r.cookies.get("session") or ""
            assert fresh != bogus
            assert store.peek(fresh).data == {"k": "v"}


def test_expiry_after_max_age_without_change(
    client: TestClient, store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    client.get("/write", params={"a": "1"})
    clock.advance(14 * 24 * 3600 - 60)
    assert client.get("/read").json() == {"a": "1"}
    clock.advance(61)
    assert client.get("/read").json() == {}


def test_clearing_deletes_cookie_and_record(client: TestClient, store: coatcheck.Store) -> None:
    client.get("/write", params={"a": "1"})
    r = client.get("/clear")
    assert "session=null" in r.headers["set-cookie"] and "1970" in r.headers["set-cookie"]
    assert store.count() == 0


def test_login_regenerates_and_the_dependency_lists_the_users_sessions(
    store: coatcheck.Store,
) -> None:
    app = make_app(store)
    with TestClient(app) as laptop, TestClient(app) as phone:
        laptop.get("/write", params={"cart": "apple"})
        before = token(laptop) or ""
        laptop.get("/login/ada")
        phone.get("/login/ada")
        after = token(laptop) or ""
        assert after != before
        with pytest.raises(coatcheck.SessionRevoked):
            store.peek(before)
        assert store.peek(after).data == {"cart": "apple"}
        seen = laptop.get("/devices").json()
        assert len(seen["ids"]) == 2 and seen["this"] in seen["ids"]
        assert laptop.get("/logout-others").json() == 1
        assert phone.get("/read").json() == {}


def test_csrf_round_trip(client: TestClient) -> None:
    t = client.get("/csrf").text
    assert token(client) is not None
    assert client.post("/form", headers={"X-CSRFToken": t}).status_code == 200
    assert client.post("/form", headers={"X-CSRFToken": "forged"}).status_code == 403


def test_two_overlapping_requests_changing_different_keys_both_keep_their_change(
    store: coatcheck.Store,
) -> None:
    app = make_app(store)
    with TestClient(app) as c:
        c.get("/write", params={"base": "1"})
        t = token(c) or ""
    EVENTS.update(left=threading.Event(), right=threading.Event())

    def one(key: str) -> int:
        with TestClient(app, cookies={"session": t}) as other:
            return other.get(f"/overlap/{key}").status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(one, ["left", "right"])) == [200, 200]
    assert store.peek(t).data == {"base": "1", "left": "done", "right": "done"}


def test_a_tossed_cookie_does_not_lock_the_user_out(store: coatcheck.Store) -> None:
    with TestClient(make_app(store)) as c:
        c.get("/write", params={"a": "1"})
        live = token(c)
    stale = store.create().token
    assert live is not None and stale is not None
    store.destroy(stale)
    # A sibling subdomain planted `session=stale; Domain=…`: either order.
    for header in [f"session={stale}; session={live}", f"session={live}; session={stale}"]:
        with TestClient(make_app(store)) as fresh:
            assert fresh.get("/read", headers={"Cookie": header}).json() == {"a": "1"}


def test_a_busy_session_still_ends_at_the_absolute_timeout(clock: coatcheck.ManualClock) -> None:
    for setting, limit_days in [(None, 30), (timedelta(days=3), 3)]:
        app = FastAPI()
        app.add_middleware(
            ccs.SessionMiddleware,
            store=None,
            store_options={"clock": clock, "sweep_interval": None},
            max_age=2 * 86400,
            absolute_timeout=setting,
        )

        @app.get("/write")
        async def write(request: Request) -> Dict[str, Any]:
            request.session.update(request.query_params)
            return dict(request.session)

        with TestClient(app) as c:
            c.get("/write", params={"a": "0"})
            for day in range(1, limit_days):  # saved every day: max_age never runs out
                clock.advance(86400)
                assert c.get("/write", params={"a": str(day)}).json() == {"a": str(day)}
            clock.advance(86400)
            assert c.get("/write").json() == {}, setting
def plain_app() -> Starlette:
    """A Starlette app with one route that never touches the session and
    one that does, to wrap in a SessionMiddleware built by the test."""

    async def noop(request: Request) -> PlainTextResponse:
        return PlainTextResponse("nothing")

    async def write(request: Request) -> JSONResponse:
        request.session.update(request.query_params)
        return JSONResponse(dict(request.session))

    return Starlette(routes=[Route("/noop", noop), Route("/write", write)])


@pytest.mark.parametrize(
    "options, complaint",
    [
        ({"max_age": -1}, "max_age"),
        ({"max_age": 0}, "max_age"),
        ({"max_age": "3600"}, "max_age"),
        ({"same_site": "sometimes"}, "same_site"),
        ({"session_cookie": "my session"}, "session_cookie"),
        ({"session_cookie": ""}, "session_cookie"),
        ({"path": "app"}, "path"),
        ({"path": "/a;b"}, "path"),
        ({"domain": "example.com; secure"}, "domain"),
        ({"store_options": {"idle_timout": 60}}, "idle_timout"),
        ({"store": 42}, "store"),
    ],
)
def test_bad_options_are_refused_at_construction(
    tmp_path: Path, options: Dict[str, Any], complaint: str
) -> None:
    path = tmp_path / "sessions.redb"
    options.setdefault("store", path)
    with pytest.raises((ValueError, TypeError), match=complaint):
        ccs.SessionMiddleware(plain_app(), **options)
    assert not path.exists()  # nothing opened, nothing created


def test_max_age_none_is_a_browser_session_cookie_whose_session_lives(
    store: coatcheck.Store, clock: coatcheck.ManualClock
) -> None:
    with TestClient(make_app(store, max_age=None)) as c:
        header = c.get("/write", params={"a": "1"}).headers["set-cookie"]
        assert "Max-Age" not in header and "expires" not in header
        clock.advance(24 * 3600)
        assert c.get("/read").json() == {"a": "1"}


def test_a_route_that_never_touches_the_session_never_opens_the_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.redb"
    middleware = ccs.SessionMiddleware(plain_app(), store=path, store_options={"sweep_interval": None})
    try:
        with TestClient(middleware, cookies={"session": "x" * 43}) as c:
            assert c.get("/noop").text == "nothing"
            assert not path.exists()
            c.get("/write", params={"k": "v"})
            first = middleware.store
            c.get("/write", params={"k": "w"})
            assert middleware.store is first  # once per process, not per request
    finally:
        middleware.close()



def test_importing_the_adapter_needs_no_itsdangerous() -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "sys.modules['itsdangerous'] = None  # as if not installed\n"
            "import coatcheck.starlette\n"
            "print('imported')\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.stdout.strip() == "imported", child.stderr
