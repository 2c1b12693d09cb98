"""The typed example (checked by mypy --strict in `make test`) also runs."""

from __future__ import annotations

import pytest

import typed_example


def test_typed_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    typed_example.main()
    out = capsys.readouterr().out
    assert "visit 2" in out and "visit 1" in out
