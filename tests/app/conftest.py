"""Servers for the learn-sessions tests: the Python app (uvicorn) and the
C++ server, each started on a free loopback port with its own data folder,
a manual clock (``TEST_CLOCK=1``) and the debug OTP header, and stopped by
its pid.

The API suite runs once per server: the ``server`` fixture is parametrized
by ``--app-servers`` (default ``python,cpp``). ``--app-url URL`` runs the
suite against a server someone else started instead (tests that need the
manual clock or the OTP file are skipped when it does not offer them).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import httpx2 as httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "examples" / "learn_sessions"
CPP_BINARY = Path(os.environ.get("LEARN_SESSIONS_CPP", ROOT / "target" / "app" / "learn_sessions_server"))
RATE_WINDOW_SECONDS = 60


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--app-servers",
        default="python,cpp",
        help="which learn-sessions servers the API suite runs against",
    )
    parser.addoption("--app-url", default=None, help="run against this already running server")


@dataclass
class Server:
    """A running learn-sessions server."""

    kind: str
    base_url: str
    data_dir: Optional[Path] = None
    process: Optional[subprocess.Popen[bytes]] = None
    log: Optional[Path] = None
    env: Dict[str, str] = field(default_factory=dict)
    clients: List[httpx.Client] = field(default_factory=list)

    @property
    def otp_file(self) -> Optional[Path]:
        return None if self.data_dir is None else self.data_dir / "otp.jsonl"

    def client(self) -> httpx.Client:
        """A new client (a "device" with its own cookies), closed after the test."""
        client = httpx.Client(base_url=self.base_url, timeout=30)
        self.clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()

    def advance_clock(self, seconds: float) -> None:
        """Moves the server's manual clock (sessions, codes, rate windows)."""
        with httpx.Client(base_url=self.base_url, timeout=30) as c:
            r = c.post("/__test__/clock", json={"advanceSeconds": seconds})
        if r.status_code == 404:
            pytest.skip("this server has no test clock (TEST_CLOCK=1)")
        assert r.status_code == 204, r.text

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(server: Server, deadline_seconds: float = 30) -> None:
    """Polls a connect until the server answers, with a deadline (no sleep)."""
    pause = threading.Event()
    deadline = time.monotonic() + deadline_seconds
    port = int(server.base_url.rsplit(":", 1)[1])
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pause.wait(0.05)
    log = server.log.read_text() if server.log and server.log.exists() else ""
    server.stop()
    raise RuntimeError(f"the {server.kind} server did not come up:\n{log}")


def server_env(data_dir: Path, **extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(data_dir),
        OTP_FILE=str(data_dir / "otp.jsonl"),
        DEBUG="1",
        TEST_CLOCK="1",
        ARGON2_MEMORY_KIB="1024",  # a cheap hash for tests; the default is 64 MiB
        RATE_WINDOW_SECONDS=str(RATE_WINDOW_SECONDS),
        COOKIE_SECURE="auto",
    )
    env.update(extra)
    return env


def start_python(data_dir: Path, *, workers: int = 1, log_name: str = "server.log", **extra: str) -> Server:
    """The Python app on a free port: with one worker straight from uvicorn,
    with several through ``python -m learn_sessions`` (shared mode)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / log_name
    command: List[str] = (
        [sys.executable, "-m", "uvicorn", "learn_sessions.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port)]
        if workers == 1
        else [sys.executable, "-m", "learn_sessions", "--port", str(port), "--workers", str(workers)]
    )  # fmt: skip
    env = server_env(data_dir, **extra)
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(command, cwd=APP_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server("python", f"http://127.0.0.1:{port}", data_dir, process, log, env)
    wait_until_serving(server)
    return server


def start_cpp(data_dir: Path, **extra: str) -> Server:
    if not CPP_BINARY.exists():
        raise RuntimeError(f"{CPP_BINARY} is not built: run `make learn-sessions-cpp` (or set LEARN_SESSIONS_CPP)")
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    env = server_env(data_dir, PORT=str(port), **extra)
    with log.open("wb") as out:
        process = subprocess.Popen([str(CPP_BINARY)], cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server("cpp", f"http://127.0.0.1:{port}", data_dir, process, log, env)
    wait_until_serving(server)
    return server


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server" in metafunc.fixturenames:
        if metafunc.config.getoption("--app-url"):
            kinds = ["given"]
        else:
            kinds = [k for k in metafunc.config.getoption("--app-servers").split(",") if k]
        metafunc.parametrize("server", kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    kind = request.param
    if kind == "given":
        yield Server("given", str(request.config.getoption("--app-url")).rstrip("/"))
        return
    data_dir = tmp_path_factory.mktemp(f"learn-sessions-{kind}")
    started = start_python(data_dir) if kind == "python" else start_cpp(data_dir)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_window(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, move the clock past the rate-limit window, so that
    the next test starts with fresh counters (all tests come from one
    address)."""
    yield
    if "server" in request.fixturenames:
        server: Server = request.getfixturevalue("server")
        server.close_clients()
        if server.kind != "given":
            server.advance_clock(RATE_WINDOW_SECONDS + 1)


def read_codes(server: Server) -> List[Dict[str, str]]:
    """The lines the server's default "e-mail" sender wrote to OTP_FILE."""
    if server.otp_file is None:
        pytest.skip("the OTP file of a given server is not known")
    if not server.otp_file.exists():
        return []
    return [json.loads(line) for line in server.otp_file.read_text().splitlines() if line]
