"""Fixtures for the Python face's tests: stores on a ManualClock, so that
expiry tests move time by hand and never sleep."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import coatcheck


@pytest.fixture
def clock() -> coatcheck.ManualClock:
    return coatcheck.ManualClock()


@pytest.fixture
def store(clock: coatcheck.ManualClock) -> Iterator[coatcheck.Store]:
    """An in-memory store with the default configuration, on a manual clock,
    without the background sweeper (tests call ``sweep()``)."""
    with coatcheck.Store(clock=clock, sweep_interval=None) as s:
        yield s


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sessions.redb"
