"""Django end to end: ``gunicorn -w 4`` (sync workers) on loopback, loaded
by ``wrk -t2 -c16``, one run per session backend:

- ``coatcheck``: ``coatcheck.django`` with its defaults (shared mode: the
  four workers on one file; every change durable);
- ``db``: Django's ``db`` backend on SQLite in WAL mode, ``synchronous=FULL``
  (durable as coatcheck is);
- ``cache``: Django's ``cache`` backend on LocMem — one cache per worker,
  not shared and not durable: a speed reference only (three requests in
  four miss the session a worker never saw);
- ``none``: no session middleware at all, the same view (the floor).

Views: ``/read`` reads two keys of a ~200-byte session; ``/write`` changes
one key (a durable save per request). The four servers run side by side
(only one loaded at a time) and the cases are interleaved, round after
round; prints the median req/s and p99 per backend and view, then the
ratios the issue asks for.

    make bench-django              (release build, gunicorn and wrk installed)
    python benches/python/django_http.py [--seconds 5] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
WORKERS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(port: int, process: "subprocess.Popen[bytes]") -> None:
    waiter = threading.Event()
    for _ in range(1200):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited at start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            waiter.wait(0.05)
    raise SystemExit("gunicorn did not listen within 60 s")


def login(port: int) -> str:
    """Makes the session the views use; returns its cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie") or ""
    connection.close()
    if response.status != 200 or not cookie.startswith("sessionid="):
        raise SystemExit(f"/login answered {response.status} {cookie!r}")
    return cookie.split(";")[0]


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, path: str, cookie: Optional[str], seconds: int, connections: int) -> Tuple[float, float, int]:
    """req/s, p99 (ms) and the count of non-2xx answers of one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if rps is None or p99 is None:
        raise SystemExit("cannot read wrk's output:\n" + out)
    return float(rps.group(1)), to_ms(p99.group(1), p99.group(2)), int(bad.group(1)) if bad else 0


class Backend:
    """One gunicorn server with one session engine, and its session cookie."""

    def __init__(self, sessions: str) -> None:
        self.sessions = sessions
        self.dir = Path(tempfile.mkdtemp(prefix=f"coatcheck-bench-{sessions}-"))
        env = dict(os.environ, BENCH_DIR=str(self.dir), BENCH_SESSIONS=sessions,
                   DJANGO_SETTINGS_MODULE="django_site.settings", PYTHONPATH=str(HERE))
        if sessions == "db":
            subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"],
                           cwd=HERE, env=env, check=True)
        self.port = free_port()
        self.log = open(self.dir / "gunicorn.log", "wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}",
             "django_site.wsgi:application"],
            cwd=HERE, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.port, self.server)
        self.cookie = None if sessions == "none" else login(self.port)

    def stop(self) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=60)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench-django installs it)")

    cases = [("none", "/nosession"), ("coatcheck", "/read"), ("db", "/read"), ("cache", "/read"),
             ("coatcheck", "/write"), ("db", "/write"), ("cache", "/write")]
    # Every server up at once (idle while another is loaded); the cases run
    # in turn, round after round, so that a change in the machine's load
    # touches all of them alike; each figure is the median of its rounds.
    backends: Dict[str, Backend] = {}
    runs: Dict[Tuple[str, str], List[Tuple[float, float, int]]] = {case: [] for case in cases}
    try:
        for sessions in ["none", "coatcheck", "db", "cache"]:
            backends[sessions] = Backend(sessions)
        for sessions, view in cases:  # warm every worker up
            b = backends[sessions]
            wrk(b.port, view, b.cookie, 2, args.connections)
        for _ in range(args.rounds):
            for sessions, view in cases:
                b = backends[sessions]
                runs[(sessions, view)].append(wrk(b.port, view, b.cookie, args.seconds, args.connections))
    finally:
        for backend in backends.values():
            backend.stop()

    def median(values: List[float]) -> float:
        return sorted(values)[len(values) // 2]

    rps = {case: median([r[0] for r in rs]) for case, rs in runs.items()}
    p99 = {case: median([r[1] for r in rs]) for case, rs in runs.items()}
    print(f"gunicorn -w {WORKERS} (sync), wrk -t2 -c{args.connections}, {args.rounds} rounds of "
          f"{args.seconds} s per case, interleaved; median req/s and median p99")
    print(f"{'backend':<10} {'view':<11} {'req/s':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for case in cases:
        bad = sum(r[2] for r in runs[case])
        print(f"{case[0]:<10} {case[1]:<11} {rps[case]:>8.0f} {p99[case]:>8.2f} {bad:>8}")
    read, write = "/read", "/write"
    print()
    print(f"read : coatcheck / db    = {rps[('coatcheck', read)] / rps[('db', read)]:.2f}x   (target >= 3)")
    print(f"read : coatcheck / cache = {rps[('coatcheck', read)] / rps[('cache', read)]:.2f}x   (target >= 0.9)")
    print(f"read : coatcheck / no session = {rps[('coatcheck', read)] / rps[('none', '/nosession')]:.2f}x")
    print(f"write: coatcheck / db    = {rps[('coatcheck', write)] / rps[('db', write)]:.2f}x   (target >= 1.5)")
    print(f"write: p99 coatcheck {p99[('coatcheck', write)]:.2f} ms vs db {p99[('db', write)]:.2f} ms "
          f"(target: below)")
    print(f"write: coatcheck / cache = {rps[('coatcheck', write)] / rps[('cache', write)]:.2f}x")


if __name__ == "__main__":
    main()
