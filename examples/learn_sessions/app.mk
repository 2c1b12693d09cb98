# The learn-sessions app's part of `make test` (included by the root Makefile,
# after the faces' fragments, whose venv and libcoatcheck it reuses).
#
#   make demo-app       the Python app (API + pages) on http://127.0.0.1:3333
#   make demo-app-cpp   the same API from the C++ server on http://127.0.0.1:3334
#   make test-app       installs what it needs (Debian's chromium and the C++
#                       -dev packages when missing; the Python requirements
#                       into .venv), builds the C++ server, then runs
#                       tests/app: the API suite against both servers, the
#                       pages' checks, and the browser journeys in Chromium;
#                       then mypy --strict on the app and its tests.
#
# Demo data (users, sessions, the OTP file, the signing key) lives in
# target/learn-sessions-data (under cargo's ignored target/). DEBUG=1 there: codes also show up in the
# X-Debug-OTP header and on the reset page.

APP_DIR      := examples/learn_sessions
APP_CPP_DIR  := examples/learn_sessions_cpp
APP_STAMP    := $(PY_VENV)/.coatcheck-app-requirements
APP_CPP_BIN  := $(C_TARGET)/app/learn_sessions_server
APP_CPP_SRCS := $(wildcard $(APP_CPP_DIR)/*.cpp $(APP_CPP_DIR)/*.hpp)
APP_DATA     ?= $(C_TARGET)/learn-sessions-data
# Which servers the API suite runs against (tests/app/conftest.py).
APP_SERVERS  ?= python,cpp
# uvicorn workers: several share the store file in coatcheck's shared mode
# (python -m learn_sessions turns it on; a build without it serves with one).
APP_WORKERS  ?= 2
APP_DEBS     := chromium libcpp-httplib-dev nlohmann-json3-dev libargon2-dev libsqlite3-dev
APT_GET      := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

FACE_TESTS += test-app

.PHONY: test-app demo-app demo-app-cpp app-debs learn-sessions-cpp

# Debian packages: installed only when missing (CI starts on a fresh machine).
app-debs:
	@if ! command -v chromium >/dev/null || ! dpkg -s $(filter-out chromium,$(APP_DEBS)) >/dev/null 2>&1; then \
	  $(APT_GET) update && $(APT_GET) install -y $(APP_DEBS); \
	fi

$(APP_STAMP): tests/app/requirements.txt $(APP_DIR)/requirements.txt $(PY_STAMP)
	$(PY_BIN)/python -m pip install --quiet --disable-pip-version-check -r tests/app/requirements.txt
	touch $@

learn-sessions-cpp: $(APP_CPP_BIN)

$(APP_CPP_BIN): $(APP_CPP_SRCS) include/coatcheck.h include/coatcheck.hpp | app-debs c-lib
	@mkdir -p $(dir $@)
	$(C_CXX) -std=c++17 -O1 -Wall -Wextra -Werror -g -Iinclude $(filter %.cpp,$(APP_CPP_SRCS)) -o $@ \
	  -L$(C_LIBDIR) -lcoatcheck -lcpp-httplib -largon2 -lsqlite3 -lpthread -Wl,-rpath,$(abspath $(C_LIBDIR))

test-app: python-develop $(APP_STAMP) app-debs $(APP_CPP_BIN)
	@# pytest: 0 = all passed; 5 = no test collected, a failure here too.
	@rc=0; LEARN_SESSIONS_CPP="$(abspath $(APP_CPP_BIN))" $(PY_BIN)/python -m pytest -q tests/app --app-servers $(APP_SERVERS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test-app: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc
	$(PY_BIN)/python -m mypy --strict $(APP_DIR)/learn_sessions tests/app

demo-app: python-develop $(APP_STAMP)
	cd $(APP_DIR) && exec env DATA_DIR="$(abspath $(APP_DATA))" DEBUG=1 COOKIE_SECURE=auto \
	  $(abspath $(PY_BIN))/python -m learn_sessions --port 3333 --workers $(APP_WORKERS)

demo-app-cpp: $(APP_CPP_BIN)
	@echo "learn-sessions (C++): the API on http://127.0.0.1:3334/v1/... (data in $(APP_DATA)-cpp; Ctrl-C stops)"
	@mkdir -p $(APP_DATA)-cpp
	DATA_DIR="$(abspath $(APP_DATA))-cpp" DEBUG=1 PORT=3334 $(APP_CPP_BIN)
