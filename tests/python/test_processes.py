"""Shared mode through the Python face: several processes, each opening one
file itself with ``Store(path, shared=True)`` (started with subprocess,
never a store inherited through fork), see each other's writes, logouts and
rotations at once, and survive one of them being killed mid-write."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import coatcheck

WORKER = Path(__file__).with_name("shared_worker.py")
#: How long one answer may take, at most (generous: the machine is shared).
DEADLINE = 60.0


class Worker:
    """One ``shared_worker.py`` process and its JSON lines."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            self.pid = self.next()["ready"]
        except BaseException:
            self.process.kill()
            self.stop()
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))
        self.lines.put({"eof": True})

    def next(self) -> Dict[str, Any]:
        """The next line the worker prints (fails the test after DEADLINE)."""
        try:
            message = self.lines.get(timeout=DEADLINE)
        except queue.Empty:
            raise AssertionError(f"worker {self.process.pid} said nothing for {DEADLINE}s")
        assert "eof" not in message, f"worker {self.process.pid} exited early"
        return message

    def kill(self) -> List[str]:
        """SIGKILLs the worker; the keys it acknowledged before it died."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        acked: List[str] = []
        while True:
            message = self.lines.get(timeout=DEADLINE)
            if "eof" in message:
                return acked
            if "acked" in message:
                acked.append(message["acked"])

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def ask(self, **command: Any) -> Dict[str, Any]:
        self.send(**command)
        return self.next()

    def stop(self) -> None:
        """Ends the worker (end of input closes its store) and its pipes."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=DEADLINE)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def shared_path(tmp_path: Path) -> Path:
    return tmp_path / "shared.redb"


@pytest.fixture
def workers(shared_path: Path) -> Iterator[List[Worker]]:
    """Three worker processes on ``shared_path``, stopped after the test."""
    started: List[Worker] = []
    try:
        for _ in range(3):
            started.append(Worker(shared_path))
        yield started
    finally:
        for worker in started:
            worker.stop()


def test_per_key_sets_from_four_processes_lose_nothing(shared_path: Path) -> None:
    with coatcheck.Store(shared_path, shared=True, sweep_interval=None) as store:
        token = store.create(data={"cart": ["tea"]}).token or ""
        procs: List[Worker] = []
        try:
            for _ in range(4):
                procs.append(Worker(shared_path))
            for n, worker in enumerate(procs):
                worker.send(op="set_keys", token=token, prefix=f"w{n}_", count=25)
            for worker in procs:
                while "done" not in worker.next():
                    pass
        finally:
            for worker in procs:
                worker.stop()
        data = store.get(token).data
    expected = {f"w{n}_{i}": i for n in range(4) for i in range(25)}
    assert {k: v for k, v in data.items() if k != "cart"} == expected
    assert data["cart"] == ["tea"]


def test_a_logout_in_one_process_is_refused_at_once_in_all(
    shared_path: Path, workers: List[Worker]
) -> None:
    with coatcheck.Store(shared_path, shared=True, sweep_interval=None) as store:
        token = store.create(data={"theme": "dark"}).token or ""
        for worker in workers:  # every process has read it (and may cache it)
            assert worker.ask(op="get", token=token, key="theme") == {"value": "dark"}
        assert workers[0].ask(op="logout", token=token) == {"ended": True}
        for worker in workers[1:]:
            assert worker.ask(op="get", token=token, key="theme")["error"] == "SessionRevoked"
        with pytest.raises(coatcheck.SessionRevoked):
            store.get(token)


def test_a_login_rotation_is_seen_everywhere(shared_path: Path, workers: List[Worker]) -> None:
    with coatcheck.Store(shared_path, shared=True, sweep_interval=None) as store:
        old = store.create(data={"cart": ["tea"]}).token or ""
        for worker in workers:
            assert worker.ask(op="get", token=old, key="cart") == {"value": ["tea"]}
        new = workers[0].ask(op="login", token=old, user="ada")["token"]
        assert new and new != old
        for worker in workers[1:]:
            assert worker.ask(op="get", token=old, key="cart")["error"] == "SessionRevoked"
            assert worker.ask(op="get", token=new, key="cart") == {"value": ["tea"]}
        s = store.get(new)
        assert s.user == "ada" and s.data == {"cart": ["tea"]}
        with pytest.raises(coatcheck.SessionRevoked):
            store.get(old)


def test_sigkill_of_one_process_mid_load_loses_no_acknowledged_write(
    shared_path: Path, workers: List[Worker]
) -> None:
    with coatcheck.Store(shared_path, shared=True, sweep_interval=None) as store:
        tokens = [store.create().token or "" for _ in workers]
        for n, worker in enumerate(workers):
            worker.send(op="set_keys", token=tokens[n], prefix="k", count=100_000)
        victim, survivors = workers[0], workers[1:]
        acked: List[List[str]] = [[] for _ in workers]
        while len(acked[0]) < 20:  # the victim is mid-load, writing
            acked[0].append(victim.next()["acked"])
        acked[0] += victim.kill()
        # The others keep writing after the kill: no lock is left behind.
        for n, worker in enumerate(survivors, start=1):
            while len(acked[n]) < 50:
                acked[n].append(worker.next()["acked"])
        store.set(tokens[0], "after", "kill")  # and so does this process
        for n, worker in enumerate(survivors, start=1):
            acked[n] += worker.kill()
        for n, token in enumerate(tokens):
            data = store.get(token).data
            missing = [key for key in acked[n] if key not in data]
            assert not missing, f"process {n} lost acknowledged writes: {missing[:5]}"
        assert store.get(tokens[0]).data["after"] == "kill"
    # The file opens again, on its own, with everything in it.
    with coatcheck.Store(shared_path, sweep_interval=None) as again:
        assert again.count() == len(tokens)
        assert len(again.get(tokens[1]).data) >= 50


def test_shared_mode_refuses_periodic_durability(shared_path: Path) -> None:
    with pytest.raises(coatcheck.InvalidArgument, match="Periodic"):
        coatcheck.Store(shared_path, shared=True, durability=0.2)
