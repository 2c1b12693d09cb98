"""Several processes of the Python app on one data folder: one store file in
coatcheck's shared mode, one SQLite file. A session made in one process is
seen, ended and revoked in the other; rate limits count across them; and
``python -m learn_sessions`` serves with several uvicorn workers."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

import coatcheck
from conftest import Server, start_python

PASSWORD = "correct horse battery"
SHARED = '{"shared": true}'


def shared_mode_available() -> bool:
    shared: Dict[str, Any] = {"shared": True}  # a keyword older builds lack
    with tempfile.TemporaryDirectory() as folder:
        try:
            coatcheck.Store(os.path.join(folder, "probe.redb"), **shared).close()
        except TypeError:
            return False
    return True


pytestmark = pytest.mark.skipif(
    not shared_mode_available(), reason="this coatcheck build has no shared mode (Store(shared=True))"
)


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[Tuple[Server, Server]]:
    """Two single-worker servers on one DATA_DIR, on the real clock."""
    first = start_python(tmp_path, log_name="first.log", COATCHECK_OPTIONS=SHARED, TEST_CLOCK="0")
    second = start_python(tmp_path, log_name="second.log", COATCHECK_OPTIONS=SHARED, TEST_CLOCK="0")
    try:
        yield first, second
    finally:
        for server in (first, second):
            server.close_clients()
            server.stop()


def account() -> Dict[str, Any]:
    name = "m" + uuid.uuid4().hex[:10]
    return {"name": name, "email": f"{name}@example.com", "password": PASSWORD}


def users_status(server: Server, cookie: str) -> int:
    return server.client().get("/v1/users", headers={"Cookie": f"sessionId={cookie}"}).status_code


def test_a_session_from_one_process_is_used_ended_and_revoked_in_the_other(
    two_processes: Tuple[Server, Server],
) -> None:
    first, second = two_processes
    body = account()
    laptop = first.client()
    assert laptop.post("/v1/user/create", json=body).status_code == 201
    laptop_cookie = str(laptop.cookies["sessionId"])
    assert users_status(second, laptop_cookie) == 200, "signed by the same key, in the same store"

    phone = second.client()
    assert phone.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD}).status_code == 201
    phone_cookie = str(phone.cookies["sessionId"])
    assert users_status(first, phone_cookie) == 200

    # A logout in one process is seen by the other at once.
    assert second.client().delete("/v1/user/logout", headers={"Cookie": f"sessionId={laptop_cookie}"}).status_code == 204
    assert users_status(first, laptop_cookie) == 401

    # A reset in one process ends the sessions the other made.
    r = first.client().post("/v1/user/forget-password", json={"email": body["email"]})
    assert r.status_code == 200
    reset = second.client().post(
        "/v1/user/reset-password",
        json={"id": r.json()["id"], "otp": r.headers["x-debug-otp"], "newPassword": "a new passphrase"},
    )
    assert reset.status_code == 201
    assert users_status(first, phone_cookie) == 401
    assert users_status(second, phone_cookie) == 401


def test_rate_limits_count_across_processes(two_processes: Tuple[Server, Server]) -> None:
    first, second = two_processes
    name = account()["name"]
    statuses = [
        server.client().post("/v1/user/auth", json={"name": name, "password": "wrong guess"}).status_code
        for server in (first, second, first, second, first, second)
    ]
    assert statuses == [400] * 5 + [429], statuses


def test_python_m_learn_sessions_serves_with_two_workers(tmp_path: Path) -> None:
    server = start_python(tmp_path, workers=2, TEST_CLOCK="0")
    try:
        client = server.client()
        assert client.post("/v1/user/create", json=account()).status_code == 201
        cookie = str(client.cookies["sessionId"])
        # New connections each: the workers take turns accepting them.
        assert {users_status(server, cookie) for _ in range(20)} == {200}
        assert client.delete("/v1/user/logout").status_code == 204
        assert {users_status(server, cookie) for _ in range(20)} == {401}
        assert server.log is not None and "2 worker(s)" in server.log.read_text()
    finally:
        server.close_clients()
        server.stop()
