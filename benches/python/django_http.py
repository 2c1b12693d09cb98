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
one key (a durable save per request). Prints req/s and p99 per backend and
view, then the ratios the issue asks for.

    make bench-django              (release build, gunicorn and wrk installed)
    python benches/python/django_http.py [--seconds 10] [--connections 16]
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


def run_backend(sessions: str, views: List[str], seconds: int, connections: int) -> Dict[str, Tuple[float, float, int]]:
    bench_dir = Path(tempfile.mkdtemp(prefix=f"coatcheck-bench-{sessions}-"))
    env = dict(os.environ, BENCH_DIR=str(bench_dir), BENCH_SESSIONS=sessions,
               DJANGO_SETTINGS_MODULE="django_site.settings", PYTHONPATH=str(HERE))
    try:
        if sessions == "db":
            subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"],
                           cwd=HERE, env=env, check=True)
        port = free_port()
        log = open(bench_dir / "gunicorn.log", "wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
             "django_site.wsgi:application"],
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(port, server)
            cookie = None if sessions == "none" else login(port)
            results = {}
            for view in views:
                wrk(port, view, cookie, 2, connections)  # warm every worker up
                results[view] = wrk(port, view, cookie, seconds, connections)
            return results
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            log.close()
    finally:
        shutil.rmtree(bench_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench-django installs it)")

    runs = {
        "none": ["/nosession"],
        "coatcheck": ["/read", "/write"],
        "db": ["/read", "/write"],
        "cache": ["/read", "/write"],
    }
    results: Dict[str, Dict[str, Tuple[float, float, int]]] = {}
    print(f"gunicorn -w {WORKERS} (sync), wrk -t2 -c{args.connections} -d{args.seconds}s, one run")
    print(f"{'backend':<10} {'view':<11} {'req/s':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for sessions, views in runs.items():
        results[sessions] = run_backend(sessions, views, args.seconds, args.connections)
        for view, (rps, p99, bad) in results[sessions].items():
            print(f"{sessions:<10} {view:<11} {rps:>8.0f} {p99:>8.2f} {bad:>8}", flush=True)

    cc, db, cache = results["coatcheck"], results["db"], results["cache"]
    print()
    print(f"read : coatcheck / db    = {cc['/read'][0] / db['/read'][0]:.2f}x   (target >= 3)")
    print(f"read : coatcheck / cache = {cc['/read'][0] / cache['/read'][0]:.2f}x   (target >= 0.9)")
    print(f"write: coatcheck / db    = {cc['/write'][0] / db['/write'][0]:.2f}x   (target >= 1.5)")
    print(f"write: p99 coatcheck {cc['/write'][1]:.2f} ms vs db {db['/write'][1]:.2f} ms (target: below)")
    print(f"write: coatcheck / cache = {cc['/write'][0] / cache['/write'][0]:.2f}x")
    print(f"read : coatcheck / no session = {cc['/read'][0] / results['none']['/nosession'][0]:.2f}x")


if __name__ == "__main__":
    main()
