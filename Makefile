# coatcheck — the two commands of the README, and their parts.
#
#   make demo   runs examples/quickstart.rs against ./coatcheck-demo.redb
#   make test   runs every test: Rust (unit, integration, doc), lint
#
CARGO ?= cargo

.PHONY: demo test test-rust lint fmt bench clean

demo:
	$(CARGO) run --release --example quickstart -- coatcheck-demo.redb

test: test-rust lint

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --bench engine

clean:
	$(CARGO) clean
	rm -f coatcheck-demo.redb
