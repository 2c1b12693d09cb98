# coatcheck — the two commands of the README, and their parts.
#
#   make demo   runs examples/quickstart.rs against ./coatcheck-demo.redb
#   make test   runs every test: Rust (unit, integration, doc), lint, and
#               each face's suite (C, Python) from bindings/*/test.mk, and
#               each fuzz target briefly (fuzz/fuzz.mk)
#
CARGO ?= cargo

# Each face (bindings/c, bindings/python, …) brings make fragments (*.mk) that
# defines its test target and adds it to FACE_TESTS.
FACE_TESTS :=
-include $(sort $(wildcard bindings/*/*.mk))
# The learn-sessions app (examples/learn_sessions): its demos and test-app.
-include examples/learn_sessions/app.mk
# Fuzzing (fuzz-smoke is part of `make test`) and the long fault runs.
-include fuzz/fuzz.mk

.PHONY: demo test test-rust lint fmt bench bench-shared clean

demo:
	$(CARGO) run --release --example quickstart -- coatcheck-demo.redb

test: test-rust lint $(FACE_TESTS)

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc
	$(CARGO) test -p coatcheck --features tower-sessions --test tower

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p coatcheck --all-targets --features tower-sessions -- -D warnings

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --bench engine

# Shared mode vs exclusive: one process, and durable writes from 1, 2, 4 processes.
bench-shared:
	$(CARGO) bench --bench shared

clean:
	$(CARGO) clean
	rm -f coatcheck-demo.redb
