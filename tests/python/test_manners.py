"""Python manners: the exception tree, context managers, reprs without
secrets, pickling, and fork safety."""

from __future__ import annotations

import copy
import os
import pickle
import sys
import warnings
from pathlib import Path

import pytest

import coatcheck


def test_exception_hierarchy() -> None:
    base = coatcheck.CoatcheckError
    assert issubclass(base, Exception)
    assert issubclass(coatcheck.SessionNotFound, base)
    assert issubclass(coatcheck.SessionNotFound, LookupError)
    assert issubclass(coatcheck.SessionExpired, coatcheck.SessionNotFound)
    assert issubclass(coatcheck.SessionRevoked, coatcheck.SessionNotFound)
    for cls in (
        coatcheck.TokenReuse,
        coatcheck.Conflict,
        coatcheck.InvalidToken,
        coatcheck.InvalidArgument,
        coatcheck.StoreLocked,
        coatcheck.StoreCorrupt,
        coatcheck.StoreIOError,
        coatcheck.StorageError,
    ):
        assert issubclass(cls, base) and not issubclass(cls, coatcheck.SessionNotFound)
    assert issubclass(coatcheck.InvalidToken, ValueError)
    assert issubclass(coatcheck.InvalidArgument, ValueError)
    assert issubclass(coatcheck.StoreIOError, OSError)
    assert coatcheck.SessionExpired.__module__ == "coatcheck"


def test_errors_carry_kind_operation_and_message(store: coatcheck.Store) -> None:
    well_formed_unknown = "A" * 43
    with pytest.raises(coatcheck.SessionNotFound) as info:
        store.get(well_formed_unknown)
    e = info.value
    assert type(e) is coatcheck.SessionNotFound
    assert e.kind == "not_found" and e.operation == "get"
    assert str(e) == "get: no session with this token or id"
    with pytest.raises(coatcheck.InvalidToken) as bad:
        store.set("", "k", 1)
    assert bad.value.operation == "set" and "invalid token" in str(bad.value)
    with pytest.raises(TypeError):
        store.get(42)  # type: ignore[arg-type]


def test_errors_pickle_as_the_same_class(store: coatcheck.Store) -> None:
    with pytest.raises(coatcheck.SessionNotFound) as info:
        store.get("A" * 43)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is coatcheck.SessionNotFound and str(again) == str(info.value)


def test_store_is_a_context_manager_that_closes(path: Path) -> None:
    with coatcheck.Store(path) as store:
        t = store.create().token
        assert t is not None
    assert "closed" in repr(store)
    with pytest.raises(coatcheck.StorageError, match="closed"):
        store.get(t or "")
    with coatcheck.Store(path) as again:  # the file was released
        assert again.count() == 1


def test_context_manager_closes_on_error(path: Path) -> None:
    with pytest.raises(RuntimeError):
        with coatcheck.Store(path) as store:
            raise RuntimeError("boom")
    with coatcheck.Store(path):
        pass


def test_reprs_never_show_a_token(store: coatcheck.Store, path: Path) -> None:
    s = store.create(user="alice", data={"cart": []})
    assert s.token is not None
    r = repr(s)
    assert s.token not in r and "<hidden>" in r and s.id[:12] in r and "'alice'" in r and "'cart'" in r
    assert s.token not in repr(store.get(s.token))
    assert repr(store) == "<coatcheck.Store in memory>"
    with coatcheck.Store(path) as on_disk:
        assert repr(on_disk) == f"<coatcheck.Store {str(path)!r}>"
    with store.transaction(s.token) as data:
        assert isinstance(data, dict)
    assert s.token not in repr(store.transaction(s.token))
    assert repr(coatcheck.Lifetime(60, 120)) == "coatcheck.Lifetime(idle=60, absolute=120)"
    assert "sessions=1" in repr(store.stats())


def test_sessions_refuse_pickling_but_copy(store: coatcheck.Store) -> None:
    s = store.create(data={"k": 1})
    with pytest.raises(TypeError, match="cannot be pickled.*token"):
        pickle.dumps(s)
    assert copy.copy(s) is s and copy.deepcopy(s) is s
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(store)
    assert s.token is not None
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(store.issue_pair(s.token))


def test_small_values_pickle() -> None:
    meta = coatcheck.Meta(ip="1.2.3.4", label="phone")
    assert pickle.loads(pickle.dumps(meta)) == meta
    life = coatcheck.Lifetime(60, 3600)
    assert pickle.loads(pickle.dumps(life)) == life


def test_session_snapshots_are_immutable(store: coatcheck.Store) -> None:
    s = store.create(data={"k": [1]})
    s.data["k"].append(2)
    assert s.data == {"k": [1]}, "data is a new dict on every access"
    with pytest.raises(AttributeError):
        s.user = "mallory"  # type: ignore[misc]


def test_transaction_writes_on_clean_exit(store: coatcheck.Store) -> None:
    t = store.create(data={"n": 1}).token
    assert t is not None
    with store.transaction(t) as data:
        data["n"] += 1
        data["new"] = [1]
    got = store.get(t)
    assert got.data == {"n": 2, "new": [1]} and got.version == 1
    with store.transaction(t) as data:
        pass  # unchanged: nothing written
    assert store.get(t).version == 1


def test_transaction_writes_nothing_when_the_block_raises(store: coatcheck.Store) -> None:
    t = store.create(data={"n": 1}).token
    assert t is not None
    with pytest.raises(KeyError):
        with store.transaction(t) as data:
            data["n"] = 100
            raise KeyError("oops")
    assert store.get(t).data == {"n": 1}


def test_transaction_conflicts_when_the_session_moved(store: coatcheck.Store) -> None:
    t = store.create(data={"n": 1}).token
    assert t is not None
    with pytest.raises(coatcheck.Conflict):
        with store.transaction(t) as data:
            data["n"] += 1
            store.set(t, "other", True)  # another request, meanwhile
    assert store.get(t).data == {"n": 1, "other": True}
    with pytest.raises(TypeError, match="'bad'"):
        with store.transaction(t) as data:
            data["bad"] = {1, 2}
    assert store.get(t).data == {"n": 1, "other": True}


def test_update_with_retries_and_returns(store: coatcheck.Store) -> None:
    t = store.create(data={"n": 1}).token
    assert t is not None
    calls = []

    def bump(data: dict[str, int]) -> int:
        calls.append(1)
        if len(calls) == 1:
            store.set(t, "other", 1)  # a concurrent change: forces a retry
        data["n"] += 1
        return data["n"]

    assert store.update_with(t, bump) == 2
    assert len(calls) == 2
    assert store.get(t).data == {"n": 2, "other": 1}

    def fail(data: dict[str, int]) -> None:
        data["n"] = 99
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.update_with(t, fail)
    assert store.get(t)["n"] == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_store_inherited_through_fork_refuses_calls(path: Path) -> None:
    with coatcheck.Store(path) as store:
        t = store.create(data={"k": 1}).token
        assert t is not None
        r, w = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork() in a process with threads: the
            # point of this test.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: report what it saw, never run pytest's teardown
            code = 1
            try:
                try:
                    store.get(t)
                    msg = "BUG: the forked handle worked"
                except coatcheck.StorageError as e:
                    msg = str(e)
                    code = 0
                os.write(w, msg.encode())
                del store  # dropping it must not touch the file either
            finally:
                os._exit(code)
        os.close(w)
        with os.fdopen(r) as f:
            msg = f.read()
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0, msg
        assert "fork" in msg and "worker" in msg
        # The parent's store and file are unharmed.
        assert store.get(t).data == {"k": 1}
    with coatcheck.Store(path) as again:
        assert again.get(t or "").data == {"k": 1}


def test_version_and_typing_marker() -> None:
    assert coatcheck.__version__.count(".") == 2
    import importlib.resources

    assert importlib.resources.files("coatcheck").joinpath("py.typed").is_file()
    assert sys.modules["coatcheck._native"].__name__ == "coatcheck._native"


def test_every_public_class_and_method_has_a_docstring() -> None:
    import coatcheck.http

    missing = []
    for module in (coatcheck, coatcheck.http):
        for name in module.__all__:
            obj = getattr(module, name)
            if not isinstance(obj, type) and not callable(obj):
                continue
            if not (obj.__doc__ or "").strip():
                missing.append(f"{module.__name__}.{name}")
            if isinstance(obj, type):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr not in ("__enter__", "__exit__", "__getitem__"):
                        continue
                    if not hasattr(member, "__get__"):
                        continue  # a plain class attribute, such as SessionExpired.expired_at
                    if not (getattr(member, "__doc__", None) or "").strip():
                        missing.append(f"{module.__name__}.{name}.{attr}")
    assert missing == []
