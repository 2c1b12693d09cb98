// The C++ suites' harness (the C suites have check.h): EXPECT marks the
// running test failed; run() runs one test, counts it and prints its name.
#pragma once

#include <cstdio>

#include "coatcheck.hpp"

static int passed = 0, failed = 0;

#define EXPECT(cond)                                                                         \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "  %s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #cond); \
            ok = false;                                                                      \
        }                                                                                    \
    } while (0)

template <typename F>
static void run(const char *name, F test) {
    bool ok = true;
    try {
        test(ok);
    } catch (const coatcheck::Error &e) {
        std::fprintf(stderr, "  unexpected coatcheck::Error %s: %s\n", e.status_name(), e.what());
        ok = false;
    }
    (ok ? passed : failed)++;
    std::printf("%s  %s\n", ok ? "ok    " : "FAILED", name);
}
