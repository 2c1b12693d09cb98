"""``pip install "coatcheck[django]"`` (or ``[flask]``, ``[starlette]``)
installs everything its adapter imports: each adapter's third-party imports
are declared in its extra of pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path
from typing import Set

import pytest

ROOT = Path(__file__).resolve().parents[3]


def third_party_imports(module: Path) -> Set[str]:
    """The top-level packages ``module`` imports, minus the standard
    library and coatcheck itself."""
    names: Set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "coatcheck"}


@pytest.mark.parametrize("adapter", ["django", "flask", "starlette"])
def test_each_adapter_declares_what_it_imports(adapter: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"][adapter]
    declared = {re.split(r"[<>=!~\[; ]", requirement)[0].lower() for requirement in extra}
    imported = third_party_imports(ROOT / "python" / "coatcheck" / f"{adapter}.py")
    assert adapter in imported
    assert imported <= declared, f"coatcheck[{adapter}] lacks {sorted(imported - declared)}"
