# Fuzzing (cargo-fuzz / libFuzzer) and the longer fault runs. Included by
# the root Makefile.
#
#   make fuzz-smoke    each fuzz target for FUZZ_SECONDS (10 s); part of `make test`
#   make fuzz-long     each target for 10 minutes, one after another
#   make fault-matrix  the damaged-file matrix at 40 rounds (make test runs 1)
#
# cargo-fuzz needs nightly features: on stable Rust, RUSTC_BOOTSTRAP=1
# unlocks them. It is installed with `cargo install` when missing (a few
# minutes, once). New inputs go to target/fuzz-corpus/; the seeds in
# fuzz/corpus/ are only read, so a run leaves the tree clean.

FUZZ_TARGETS := cookie_header authorization signed_cookie access_token record_codec c_json
FUZZ_SECONDS ?= 10
FUZZ_LONG_SECONDS ?= 600
FUZZ_WORK := $(abspath $(or $(CARGO_TARGET_DIR),target))/fuzz-corpus
FUZZ_RUN := RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir fuzz

FACE_TESTS += fuzz-smoke

.PHONY: fuzz-tool fuzz-build fuzz-smoke fuzz-long fault-matrix

fuzz-tool:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz-build: fuzz-tool
	RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build --fuzz-dir fuzz

fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_WORK)/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_RUN) $$t $(FUZZ_WORK)/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 > $(FUZZ_WORK)/$$t.log 2>&1 \
	    || { tail -40 $(FUZZ_WORK)/$$t.log; exit 1; }; \
	  grep -E "^stat::(number_of_executed_units|new_units_added)" $(FUZZ_WORK)/$$t.log; \
	done

fuzz-long: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_WORK)/$$t; \
	  echo "== fuzz $$t for $(FUZZ_LONG_SECONDS) s"; \
	  $(FUZZ_RUN) $$t $(FUZZ_WORK)/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_LONG_SECONDS) -print_final_stats=1 || exit 1; \
	done

fault-matrix:
	COATCHECK_DAMAGE_ROUNDS=40 $(CARGO) test --release --test damaged_files -- --nocapture
