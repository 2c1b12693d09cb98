"""Values cross as Python types: dict/list/tuple/str/int/float/bool/None/
bytes in, the same out; anything else is a TypeError naming the key and the
type; ints beyond 64 bits are a ValueError."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

import coatcheck


def token(store: coatcheck.Store) -> str:
    t = store.create().token
    assert t is not None
    return t


NESTED: dict[str, Any] = {
    "none": None,
    "yes": True,
    "no": False,
    "int": -(2**63),
    "max": 2**63 - 1,
    "float": 3.5,
    "text": "héllo ✓",
    "empty": "",
    "bytes": bytes(range(256)),
    "list": [1, "two", [3.0, [None, b"\x00"]], {"deep": {"er": [True]}}],
    "map": {"a": {"b": {"c": []}}, "": {}},
}


def test_nested_data_round_trips_with_every_kind(store: coatcheck.Store) -> None:
    t = store.create(data=NESTED).token
    assert t is not None
    got = store.get(t).data
    assert got == NESTED
    assert type(got["bytes"]) is bytes
    assert type(got["yes"]) is bool and type(got["int"]) is int
    for key, value in NESTED.items():
        store.set(t, key, value)
        assert store.get(t)[key] == value


def test_tuples_come_back_as_lists_and_bytearray_as_bytes(store: coatcheck.Store) -> None:
    t = token(store)
    store.set(t, "pair", (1, ("a", b"b")))
    store.set(t, "buf", bytearray(b"xyz"))
    got = store.get(t).data
    assert got["pair"] == [1, ["a", b"b"]]
    assert got["buf"] == b"xyz" and type(got["buf"]) is bytes


def test_dict_subclasses_are_dicts(store: coatcheck.Store) -> None:
    t = token(store)
    store.set(t, "od", OrderedDict([("b", 1), ("a", 2)]))
    assert store.get(t)["od"] == {"a": 2, "b": 1}


@pytest.mark.parametrize(
    "value, type_name",
    [({1, 2}, "set"), (Decimal("1.5"), "Decimal"), (datetime.now(), "datetime"), (object(), "object")],
)
def test_unsupported_types_name_the_key_and_type(
    store: coatcheck.Store, value: object, type_name: str
) -> None:
    t = token(store)
    with pytest.raises(TypeError) as info:
        store.set(t, "cart", value)
    assert "'cart'" in str(info.value) and f"'{type_name}'" in str(info.value)


def test_nested_type_errors_give_the_path(store: coatcheck.Store) -> None:
    t = token(store)
    with pytest.raises(TypeError, match=r"'cart'\[1\]\['when'\].*'datetime'"):
        store.set(t, "cart", ["ok", {"when": datetime.now()}])
    with pytest.raises(TypeError, match=r"'data'.*key of type 'int'"):
        store.set(t, "data", {1: "x"})
    with pytest.raises(TypeError, match=r"'bad'.*'set'"):
        store.create(data={"good": 1, "bad": {1}})
    with pytest.raises(TypeError, match="str keys"):
        store.update(t, {2: "x"})  # type: ignore[dict-item]
    assert store.get(t).data == {}, "a refused write changes nothing"


def test_ints_beyond_64_bits_are_value_errors(store: coatcheck.Store) -> None:
    t = token(store)
    for big in (2**63, -(2**63) - 1, 10**30):
        with pytest.raises(ValueError, match="64 bits"):
            store.set(t, "n", big)
    with pytest.raises(ValueError, match=r"'n'\[0\]\['x'\]"):
        store.set(t, "n", [{"x": 2**64}])


def test_non_finite_floats_are_refused_by_the_engine(store: coatcheck.Store) -> None:
    t = token(store)
    for bad in (math.nan, math.inf):
        with pytest.raises(coatcheck.InvalidArgument, match="score"):
            store.set(t, "score", bad)
        with pytest.raises(ValueError):
            store.set(t, "score", [bad])


def test_deep_nesting_is_refused_not_a_crash(store: coatcheck.Store) -> None:
    t = token(store)
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nests deeper"):
        store.set(t, "deep", deep)
    ok: Any = "leaf"
    for _ in range(100):
        ok = {"x": ok}
    store.set(t, "ok", ok)
    assert store.get(t)["ok"] == ok


def test_values_past_max_value_bytes_are_refused() -> None:
    with coatcheck.Store(max_value_bytes=1024, sweep_interval=None) as store:
        t = token(store)
        with pytest.raises(coatcheck.InvalidArgument):
            store.set(t, "big", "x" * 2000)
        assert store.get(t).data == {}


def test_data_must_be_a_dict(store: coatcheck.Store) -> None:
    with pytest.raises(TypeError, match="data must be a dict"):
        store.create(data=[("a", 1)])  # type: ignore[arg-type]


def test_durations_accept_timedelta_or_seconds() -> None:
    for idle in (600, 600.0, __import__("datetime").timedelta(minutes=10)):
        with coatcheck.Store(idle_timeout=idle, sweep_interval=None) as store:
            s = store.create()
            assert (s.expires_at - s.created_at).total_seconds() == 600
    with pytest.raises(ValueError, match="idle_timeout must not be negative"):
        coatcheck.Store(idle_timeout=-1)
    with pytest.raises(TypeError, match="idle_timeout"):
        coatcheck.Store(idle_timeout="10 minutes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        coatcheck.Store(idle_timeout=True)


def test_config_errors_name_the_knob() -> None:
    with pytest.raises(coatcheck.InvalidArgument, match="token_bytes"):
        coatcheck.Store(token_bytes=8)
    with pytest.raises(coatcheck.InvalidArgument, match="absolute_timeout"):
        coatcheck.Store(idle_timeout=120, absolute_timeout=60)
    with pytest.raises(ValueError, match="ttl_basis"):
        coatcheck.Store(ttl_basis="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="durability"):
        coatcheck.Store(durability="eventually")  # type: ignore[arg-type]


def test_token_prefix_and_size() -> None:
    with coatcheck.Store.in_memory(token_prefix="cc_", token_bytes=16, sweep_interval=None) as store:
        t = token(store)
        assert t.startswith("cc_") and len(t) == 3 + 22


def test_the_documented_defaults_are_the_engines() -> None:
    import inspect

    params = inspect.signature(coatcheck.Store).parameters
    documented = {name: p.default for name, p in params.items() if name != "path"}
    clock = coatcheck.ManualClock()
    documented["clock"] = clock
    with coatcheck.Store(**documented) as explicit, coatcheck.Store(clock=clock) as default:
        for remember in (False, True):
            a, b = explicit.create(remember=remember), default.create(remember=remember)
            assert a.expires_at == b.expires_at
            assert a.lifetime == b.lifetime
            assert len(a.token or "") == len(b.token or "") == 43


def test_far_future_expiry_is_a_datetime_not_an_error(clock: coatcheck.ManualClock) -> None:
    forever = __import__("datetime").timedelta(days=999_999_999)
    with coatcheck.Store(clock=clock, sweep_interval=None, idle_timeout=forever, absolute_timeout=forever) as store:
        s = store.create()
        assert s.expires_at.year == 9999 and s.expires_at.tzinfo is not None
