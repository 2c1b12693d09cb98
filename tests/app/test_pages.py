"""The HTML pages' protections, over HTTP: CSRF on every form, the
ownership check of "log out this device", and flash messages read once.
(The journeys themselves run in a real browser: test_browser.py.)"""

from __future__ import annotations

import re
import uuid
from typing import Dict, Iterator, Tuple

import httpx2 as httpx
import pytest

from conftest import Server, start_python

FORMS = ["/signup", "/signin", "/signout", "/forgot", "/reset", "/devices/logout", "/devices/logout-others"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_python(tmp_path_factory.mktemp("learn-sessions-pages"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def web(pages_server: Server) -> Iterator[Server]:
    yield pages_server
    pages_server.close_clients()


def csrf_of(client: httpx.Client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    match = CSRF.search(r.text)
    assert match, r.text
    return match.group(1)


def signed_up(web: Server) -> Tuple[httpx.Client, Dict[str, str]]:
    client = web.client()
    name = "w" + uuid.uuid4().hex[:10]
    person = {"name": name, "email": f"{name}@example.com", "password": PASSWORD}
    r = client.post("/signup", data={**person, "csrf": csrf_of(client, "/signup")})
    assert r.status_code == 303 and r.headers["location"] == "/users", r.text
    return client, person


@pytest.mark.parametrize("path", FORMS)
def test_every_form_refuses_a_post_without_the_csrf_token(web: Server, path: str) -> None:
    client, person = signed_up(web)
    another_sessions_token = csrf_of(web.client(), "/signin")
    for csrf in (None, "", "forged", another_sessions_token):
        data = {"login": person["name"], "password": PASSWORD, "id": "x", "email": person["email"]}
        if csrf is not None:
            data["csrf"] = csrf
        r = client.post(path, data=data)
        assert r.status_code == 403, (path, csrf, r.status_code)
    assert client.get("/users").status_code == 200, "nothing changed: still signed in"


def test_the_csrf_token_is_masked_afresh_on_every_page(web: Server) -> None:
    client = web.client()
    first, second = csrf_of(client, "/signin"), csrf_of(client, "/signin")
    assert first != second
    for token in (first, second):  # both belong to the session
        r = client.post("/signin", data={"csrf": token, "login": "nobody", "password": "x" * 8})
        assert r.status_code == 303 and r.headers["location"] == "/signin"


def test_log_out_this_device_ends_only_a_session_of_the_signed_in_user(web: Server) -> None:
    alice, _ = signed_up(web)
    bob, _ = signed_up(web)
    bob_devices = bob.get("/devices").text
    bob_session = re.search(r'name="id" value="([0-9a-f]{64})"', bob_devices)
    assert bob_session
    r = alice.post("/devices/logout", data={"csrf": csrf_of(alice, "/devices"), "id": bob_session.group(1)})
    assert r.status_code == 303
    assert "No such device of yours" in alice.get("/devices").text
    assert bob.get("/users").status_code == 200, "another user's session survives"


def test_a_signed_out_visitor_is_sent_to_sign_in(web: Server) -> None:
    client = web.client()
    for path in ("/users", "/devices"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/signin"


def test_what_users_typed_is_escaped_in_the_pages(web: Server) -> None:
    client = web.client()
    name = "x" + uuid.uuid4().hex[:8]
    r = client.post("/signup", data={
        "csrf": csrf_of(client, "/signup"), "name": name, "email": f"{name}@example.com",
        "password": PASSWORD, "displayName": "<script>alert(1)</script>",
    })  # fmt: skip
    assert r.status_code == 303
    page = client.get("/users").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
