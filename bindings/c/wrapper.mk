# The C++ wrapper covers the whole C API: every coatcheck_* function declared
# in include/coatcheck.h is called (or named) in include/coatcheck.hpp.
# Included by the root Makefile.
#
#   make test-wrapper-coverage

FACE_TESTS += test-wrapper-coverage

.PHONY: test-wrapper-coverage

test-wrapper-coverage:
	@missing=$$(grep -o 'coatcheck_[a-z0-9_]*(' include/coatcheck.h | tr -d '(' | sort -u | \
	  while read -r name; do grep -qw "$$name" include/coatcheck.hpp || echo "$$name"; done); \
	if [ -n "$$missing" ]; then \
	  echo "include/coatcheck.hpp does not wrap these C functions (add a method, or a"; \
	  echo "comment naming the function where C++ has no use for it):"; \
	  echo "$$missing" | sed 's/^/  /'; exit 1; \
	fi; echo "coatcheck.hpp covers every function of coatcheck.h"
