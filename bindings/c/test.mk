# The C face: libcoatcheck, include/coatcheck.h, the C and C++ suites, the
# example and the benchmark. Included by the root Makefile.
#
#   make test-c     header check, C and C++ tests natively and under valgrind
#   make header     regenerate include/coatcheck.h from bindings/c/src
#   make bench-c    get/set_json through the C ABI vs the same calls in Rust
#   make example-c  build and run examples/c/hello.c (shared and static)
#   make fork-stress  5000 forks of a busy parent, each child opens its own
#                   store (test-c runs 200 of them: c-fork-stress)

# Cargo's target directory (honours CARGO_TARGET_DIR, as cargo does).
C_TARGET   := $(or $(CARGO_TARGET_DIR),target)
C_LIBDIR   := $(C_TARGET)/debug
C_RELDIR   := $(C_TARGET)/release
C_OUT      := $(C_TARGET)/c
C_CC       ?= gcc
C_CXX      ?= g++
C_CFLAGS   := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g -Iinclude
C_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -g -Iinclude
C_LDFLAGS  := -L$(C_LIBDIR) -lcoatcheck -lpthread -Wl,-rpath,$(abspath $(C_LIBDIR))
# What a static libcoatcheck.a needs (rustc --print native-static-libs).
C_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
# The suites run with tests/c/valgrind.supp, which holds one glibc artefact
# (the TLS block of a joined thread, kept with its cached stack: seen by
# programs that open and close several file stores) and is shipped by
# `make install`; examples/c/hello.c runs with no suppression file at all,
# as a C user would run it (see c-valgrind).
C_VALGRIND := valgrind -q --leak-check=full --error-exitcode=9 --child-silent-after-fork=yes \
              --suppressions=tests/c/valgrind.supp

C_TEST_SRCS   := $(sort $(wildcard tests/c/test_*.c))
CXX_TEST_SRCS := $(sort $(wildcard tests/c/test_*.cpp))
C_TEST_BINS   := $(patsubst tests/c/%.c,$(C_OUT)/%,$(C_TEST_SRCS)) \
                 $(patsubst tests/c/%.cpp,$(C_OUT)/%,$(CXX_TEST_SRCS))

FACE_TESTS += test-c

.PHONY: test-c c-lib c-build-tests c-run-tests c-valgrind header header-check bench-c example-c \
        c-fork-stress fork-stress

test-c: header-check c-run-tests example-c c-valgrind c-fork-stress

c-lib:
	$(CARGO) build -p coatcheck-c

header:
	COATCHECK_BLESS_HEADER=1 $(CARGO) test -p coatcheck-c --test header

header-check:
	@$(CARGO) test -q -p coatcheck-c --test header || \
	  { echo "include/coatcheck.h is stale: run \`make header\`"; exit 1; }

c-build-tests: c-lib
	@mkdir -p $(C_OUT)
	@for src in $(C_TEST_SRCS); do \
	  echo "  CC  $$src"; \
	  $(C_CC) $(C_CFLAGS) $$src -o $(C_OUT)/$$(basename $$src .c) $(C_LDFLAGS) || exit 1; \
	done
	@for src in $(CXX_TEST_SRCS); do \
	  echo "  CXX $$src"; \
	  $(C_CXX) $(C_CXXFLAGS) $$src -o $(C_OUT)/$$(basename $$src .cpp) $(C_LDFLAGS) || exit 1; \
	done

c-run-tests: c-build-tests
	@for bin in $(C_TEST_BINS); do echo "== $$bin"; $$bin || exit 1; done

c-valgrind: c-build-tests example-c
	@command -v valgrind >/dev/null || (apt-get update && apt-get install -y valgrind)
	@for bin in $(C_TEST_BINS); do echo "== valgrind $$bin"; $(C_VALGRIND) $$bin || exit 1; done
	@echo "== valgrind $(C_OUT)/hello (as a C user runs it)"
	valgrind -q --leak-check=full --error-exitcode=9 $(C_OUT)/hello $(C_OUT)/hello.redb > /dev/null
	@rm -f $(C_OUT)/hello.redb

example-c: c-lib
	@mkdir -p $(C_OUT)
	$(C_CC) $(C_CFLAGS) examples/c/hello.c -o $(C_OUT)/hello $(C_LDFLAGS)
	$(C_CC) $(C_CFLAGS) examples/c/hello.c -o $(C_OUT)/hello-static $(C_LIBDIR)/libcoatcheck.a $(C_STATIC_LIBS)
	$(C_OUT)/hello $(C_OUT)/hello.redb && rm -f $(C_OUT)/hello.redb
	$(C_OUT)/hello-static $(C_OUT)/hello.redb && rm -f $(C_OUT)/hello.redb

$(C_OUT)/fork_stress: tests/c/fork_stress.c tests/c/check.h c-lib
	@mkdir -p $(C_OUT)
	$(C_CC) $(C_CFLAGS) tests/c/fork_stress.c -o $@ $(C_LDFLAGS)

c-fork-stress: $(C_OUT)/fork_stress
	$(C_OUT)/fork_stress 200

fork-stress: $(C_OUT)/fork_stress
	$(C_OUT)/fork_stress 5000

# get and set_json through the C ABI vs the same calls in Rust, one run.
bench-c:
	$(CARGO) build --release -p coatcheck-c
	$(CARGO) build --release -p coatcheck-c --example bench_rust
	@mkdir -p $(C_OUT)
	$(C_CC) -std=c11 -O2 -Wall -Wextra -Werror -Iinclude benches/c/bench.c -o $(C_OUT)/bench \
	  -L$(C_RELDIR) -lcoatcheck -Wl,-rpath,$(abspath $(C_RELDIR))
	@$(C_OUT)/bench > $(C_OUT)/bench-c.txt
	@$(C_RELDIR)/examples/bench_rust > $(C_OUT)/bench-rust.txt
	@cat $(C_OUT)/bench-c.txt $(C_OUT)/bench-rust.txt
	@awk '{v[$$1" "$$2]=$$3} END { \
	  printf "get:      C %.0f ns, Rust %.0f ns, C/Rust = %.2f\n", v["c get_ns"], v["rust get_ns"], v["c get_ns"]/v["rust get_ns"]; \
	  printf "set_json: C %.0f ns, Rust set %.0f ns, C/Rust = %.2f\n", v["c set_json_ns"], v["rust set_ns"], v["c set_json_ns"]/v["rust set_ns"] }' \
	  $(C_OUT)/bench-c.txt $(C_OUT)/bench-rust.txt
