"""examples/python/quickstart.py runs its whole journey without a BUG line
(on a manual clock, so that it does not sleep)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import coatcheck

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "quickstart.py"


def test_quickstart_journey(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLE)
    assert spec is not None and spec.loader is not None
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    path = str(tmp_path / "demo.redb")
    quickstart.main(path, clock=coatcheck.ManualClock())
    out = capsys.readouterr().out
    assert "BUG" not in out
    for step in range(1, 9):
        assert f"{step}. " in out
    assert "sweep removed 1 expired session(s)" in out
    quickstart.main(path, clock=coatcheck.ManualClock())  # a second run finds the first's sessions
    assert "1 live sessions from earlier runs" in capsys.readouterr().out
