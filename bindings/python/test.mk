# The Python face's part of `make test` (included by the root Makefile).
#
#   make test-python   builds coatcheck._native into .venv (a venv made with
#                      the machine's python3, with tests/python/requirements.txt),
#                      then runs pytest, mypy --strict on the typed examples,
#                      and clippy on the pyo3 crate.
#   make bench-python  the same build in release mode, then benches/python/bench.py.
#
# The build reuses cargo's target/ directory (CARGO_TARGET_DIR if set).

PYTHON ?= python3
PY_VENV ?= .venv
PY_BIN := $(PY_VENV)/bin
PY_STAMP := $(PY_VENV)/.coatcheck-requirements

FACE_TESTS += test-python

.PHONY: test-python python-develop bench-python

$(PY_STAMP): tests/python/requirements.txt
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_BIN)/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

python-develop: $(PY_STAMP)
	VIRTUAL_ENV="$(abspath $(PY_VENV))" $(PY_BIN)/maturin develop --quiet $(PY_DEVELOP_FLAGS)

test-python: python-develop
	@# The same interpreter as maturin's build, so pyo3's build script does not rerun.
	PYO3_PYTHON="$(abspath $(PY_BIN)/python)" $(CARGO) clippy -p coatcheck-python --features extension-module -- -D warnings
	@# pytest: 0 = all passed; 5 = no test collected, a failure here too.
	@rc=0; $(PY_BIN)/python -m pytest -q tests/python || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test-python: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc
	$(PY_BIN)/python -m mypy --strict tests/python examples/python/quickstart.py benches/python/bench.py

bench-python: PY_DEVELOP_FLAGS = --release
bench-python: python-develop
	$(PY_BIN)/python benches/python/bench.py
