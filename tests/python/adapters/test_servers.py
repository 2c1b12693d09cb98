"""Real servers with several worker processes on one session file, driven
over HTTP on loopback: Django under ``gunicorn -w 4``, FastAPI under
``uvicorn --workers 2``, Flask under ``gunicorn -w 2``, each with the
adapter's defaults (shared mode). A sign-in, a few hundred requests spread
over the workers, a logout, then the old cookie refused by every worker;
zero 5xx. The apps are in ``servers/``."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

SERVERS = Path(__file__).resolve().parent / "servers"
#: How long a server may take to come up, or a request to be answered.
DEADLINE = 60.0


@dataclass
class Answer:
    status: int
    body: Dict[str, Any]
    cookies: Dict[str, str]


@dataclass
class Server:
    port: int
    cookie_name: str
    store: Path
    env: Dict[str, str]
    workers: int

    def get(self, target: str, cookie: Optional[str] = None) -> Answer:
        """One request on a new connection (so that requests spread over
        the workers that share the listening socket)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            headers = {"Connection": "close"}
            if cookie is not None:
                headers["Cookie"] = f"{self.cookie_name}={cookie}"
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            jar: SimpleCookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            body = json.loads(raw) if response.status < 300 else {"raw": raw[:500].decode()}
            return Answer(response.status, body, {k: m.value for k, m in jar.items()})
        finally:
            connection.close()

    def many(self, targets: List[str], cookie: Optional[str]) -> List[Answer]:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda target: self.get(target, cookie), targets))

    def until_every_worker_answered(self, cookie: Optional[str], at_least: int) -> List[Answer]:
        """``/whoami`` in batches until every worker process has answered
        (and at least ``at_least`` requests were made)."""
        answers: List[Answer] = []
        deadline = time.monotonic() + DEADLINE
        while len(answers) < at_least or len(pids(answers)) < self.workers:
            assert time.monotonic() < deadline, f"only workers {pids(answers)} answered"
            answers += self.many(["/whoami"] * 16, cookie)
        return answers


def pids(answers: List[Answer]) -> Set[int]:
    return {a.body["pid"] for a in answers if "pid" in a.body}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    waiter = threading.Event()
    for _ in range(int(DEADLINE / 0.05)):
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            waiter.wait(0.05)
    raise AssertionError(f"the server did not listen within {DEADLINE}s: {log.read_text()[-3000:]}")


def serve(
    command: List[str],
    workers: int,
    cookie_name: str,
    tmp_path: Path,
    extra_env: Optional[Dict[str, str]] = None,
) -> Iterator[Server]:
    """Starts ``command`` (with ``{port}`` filled in) in its own process
    group, yields once it listens, then stops it and its workers by pid."""
    port = free_port()
    store = tmp_path / "sessions.redb"
    env = dict(os.environ, COATCHECK_TEST_STORE=str(store), PYTHONPATH=str(SERVERS))
    env.update(extra_env or {})
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=SERVERS,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the master and its workers
        )
    try:
        wait_until_listening(port, process, log)
        server = Server(port, cookie_name, store, env, workers)
        # Every worker up and serving before the scenario (they boot in turn).
        server.until_every_worker_answered(None, 0)
        yield server
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            process.wait()


@pytest.fixture
def django_server(tmp_path: Path) -> Iterator[Server]:
    yield from serve(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", "127.0.0.1:{port}",
         "django_project.wsgi:application"],
        4,
        "sessionid",
        tmp_path,
        {"DJANGO_SETTINGS_MODULE": "django_project.settings"},
    )


@pytest.fixture
def flask_server(tmp_path: Path) -> Iterator[Server]:
    yield from serve(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:{port}", "flask_site:app"],
        2,
        "session",
        tmp_path,
    )


@pytest.fixture
def fastapi_server(tmp_path: Path) -> Iterator[Server]:
    yield from serve(
        [sys.executable, "-m", "uvicorn", "fastapi_site:app", "--workers", "2",
         "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"],
        2,
        "session",
        tmp_path,
    )


def sign_in_spread_log_out(server: Server) -> Tuple[str, List[Answer]]:
    """The scenario every server passes; returns the old cookie and the
    answers to it after logout."""
    signed_in = server.get("/login")
    assert signed_in.status == 200, signed_in.body
    cookie = signed_in.cookies[server.cookie_name]

    # A few hundred requests over the workers: reads, and writes of one key
    # each, none lost (each worker writes only the key it was asked to).
    targets = [f"/write?k{i}={i}" if i % 2 else "/whoami" for i in range(300)]
    answers = server.many(targets, cookie)
    assert [a.status for a in answers if a.status >= 500] == []
    assert all(a.body["user"] == "ada" for a in answers), [a.body for a in answers][:5]
    assert len({a.body["pid"] for a in answers}) >= 2, "one worker answered everything"
    data = server.get("/read", cookie).body
    assert {f"k{i}" for i in range(1, 300, 2)} <= set(data), "a write was lost"

    logged_out = server.get("/logout", cookie)
    assert logged_out.status == 200
    assert logged_out.cookies.get(server.cookie_name, "") in ("", "null")

    # The old cookie, refused by every worker (each had it in use).
    after = server.until_every_worker_answered(cookie, 100)
    assert [a.status for a in after if a.status >= 500] == []
    assert [a.body for a in after if a.body["user"] is not None] == []
    return cookie, after


def test_django_under_gunicorn_with_4_workers(django_server: Server) -> None:
    sign_in_spread_log_out(django_server)
    # manage.py clearsessions (cron) while the server runs.
    done = subprocess.run(
        [sys.executable, "-m", "django", "clearsessions"],
        cwd=SERVERS,
        env=django_server.env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 0, done.stderr
    assert django_server.get("/whoami").status == 200


def test_flask_under_gunicorn_with_2_workers(flask_server: Server) -> None:
    sign_in_spread_log_out(flask_server)


def test_fastapi_under_uvicorn_with_2_workers(fastapi_server: Server) -> None:
    sign_in_spread_log_out(fastapi_server)
