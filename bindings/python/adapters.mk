# The Python framework adapters' part of `make test` (coatcheck.django,
# coatcheck.flask, coatcheck.starlette). Included by the root Makefile,
# beside bindings/python/test.mk, whose venv and build it reuses.
#
#   make test-adapters   installs tests/python/adapters/requirements.txt
#                        (Django, Flask, Starlette/FastAPI, pinned) into the
#                        Python face's .venv, then runs pytest on
#                        tests/python/adapters and mypy --strict on the
#                        adapters and their examples.
#   make bench-adapters  release build, then benches/python/adapters.py.
#   make bench-django    release build, then benches/python/django_http.py:
#                        Django under gunicorn -w 4, loaded by wrk (installed
#                        with apt if missing). Not part of `make test`.

# test.mk is read after this file: its variables are not set yet here.
PY_VENV ?= .venv
ADAPTERS_BIN := $(PY_VENV)/bin
ADAPTERS_STAMP := $(PY_VENV)/.coatcheck-adapter-requirements
ADAPTERS_REQ := tests/python/adapters/requirements.txt
ADAPTERS_TYPED := python/coatcheck/_adapters.py python/coatcheck/django.py \
	python/coatcheck/flask.py python/coatcheck/starlette.py

FACE_TESTS += test-adapters

.PHONY: test-adapters bench-adapters bench-django

# After the Python face's venv exists (its stamp), add the frameworks.
$(ADAPTERS_STAMP): $(ADAPTERS_REQ) $(PY_VENV)/.coatcheck-requirements
	$(ADAPTERS_BIN)/python -m pip install --quiet --disable-pip-version-check -r $(ADAPTERS_REQ)
	touch $@

# The Python face's `mypy --strict tests/python` also reads the adapter
# tests, which import the frameworks: they must be installed by then.
# (Its pytest run leaves them out: see tests/python/adapters/conftest.py.)
test-python: $(ADAPTERS_STAMP)

test-adapters: python-develop $(ADAPTERS_STAMP)
	@# pytest: 0 = all passed; 5 = no test collected, a failure here too.
	@rc=0; $(ADAPTERS_BIN)/python -m pytest -q tests/python/adapters || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test-adapters: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc
	$(ADAPTERS_BIN)/python -m mypy --strict $(wildcard $(ADAPTERS_TYPED)) \
		$(wildcard examples/python/flask_app.py examples/python/fastapi_app.py)

bench-adapters: PY_DEVELOP_FLAGS = --release
bench-adapters: python-develop $(ADAPTERS_STAMP)
	$(ADAPTERS_BIN)/python benches/python/adapters.py

bench-django: PY_DEVELOP_FLAGS = --release
bench-django: python-develop $(ADAPTERS_STAMP)
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(ADAPTERS_BIN)/python benches/python/django_http.py
