"""Faults seen from Python: strings that are not valid Unicode text (lone
surrogates) are refused with an error that names the field, and nothing
changes; ``Store.check()`` and ``Store.repair(path)`` on a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest

import coatcheck

BAD = "caf\udce9"  # a lone surrogate, as os.fsdecode leaves undecodable bytes


def token(store: coatcheck.Store) -> str:
    t = store.create(data={"kept": 1}).token
    assert t is not None
    return t


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, t: s.set(t, "name", BAD), "the value of key 'name'"),
        (lambda s, t: s.set(t, "name", {"a": [1, BAD]}), "the value at 'name'['a'][1]"),
        (lambda s, t: s.set(t, "name", {BAD: 1}), "a key of the value of key 'name'"),
        (lambda s, t: s.set(t, "name", {"a": {BAD: 1}}), "a key of the dict at 'name'['a']"),
        (lambda s, t: s.set(t, BAD, 1), "the key"),
        (lambda s, t: s.remove(t, BAD), "the key"),
        (lambda s, t: s.flash(t, BAD, 1), "the key"),
        (lambda s, t: s.flash(t, "notice", BAD), "the value of key 'notice'"),
        (lambda s, t: s.update(t, {BAD: 1}), "a key of changes"),
        (lambda s, t: s.update(t, {"k": BAD}), "the value of key 'k'"),
    ],
)
def test_surrogates_are_a_unicode_error_that_names_the_field(
    store: coatcheck.Store, call: object, field: str
) -> None:
    t = token(store)
    with pytest.raises(UnicodeEncodeError) as raised:
        call(store, t)  # type: ignore[operator]
    assert field in str(raised.value), str(raised.value)
    assert "surrogates not allowed" in str(raised.value)
    assert store.get(t).data == {"kept": 1}
    assert store.take_flash(t) == {}


def test_surrogates_in_create_data_name_the_key(store: coatcheck.Store) -> None:
    with pytest.raises(UnicodeEncodeError) as raised:
        store.create(data={"note": BAD})
    assert "the value of key 'note'" in str(raised.value)
    assert store.count() == 0


def test_check_is_clean_on_a_sound_store(path: Path) -> None:
    with coatcheck.Store(path, sweep_interval=None) as store:
        store.create(user="ada", data={"a": 1})
        report = store.check()
    assert report["problems"] == []
    assert (report["sessions"], report["damaged_records"]) == (1, 0)


def test_check_and_repair_on_a_flipped_byte(path: Path) -> None:
    tokens = []
    with coatcheck.Store(path, sweep_interval=None) as store:
        for i in range(8):
            s = store.create(data={"text": f"py-rec-{i}-padding-padding"})
            assert s.token is not None
            tokens.append(s.token)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"py-rec-3-padding-padding")
    raw[at + 4] ^= 0x01
    path.write_bytes(bytes(raw))

    with coatcheck.Store(path, sweep_interval=None) as store:
        with pytest.raises(coatcheck.StoreCorrupt):
            store.get(tokens[3])
        report = store.check()
        assert report["damaged_records"] == 1
        assert len(report["problems"]) >= 1

    repaired = coatcheck.Store.repair(path)
    assert repaired["was_sound"] is False
    assert repaired["salvaged"] == 7
    damaged_copy = repaired["damaged_copy"]
    assert damaged_copy is not None
    # The original is kept aside, damage included.
    assert b"py-rdc-3-padding-padding" in Path(damaged_copy).read_bytes()

    with coatcheck.Store(path, sweep_interval=None) as store:
        assert store.check()["problems"] == []
        with pytest.raises(coatcheck.SessionNotFound):
            store.get(tokens[3])
        for i, t in enumerate(tokens):
            if i != 3:
                assert store.get(t).data == {"text": f"py-rec-{i}-padding-padding"}
