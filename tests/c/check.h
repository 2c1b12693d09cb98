/* A tiny test harness for the C suite: TEST functions, CHECK macros, and the
 * closing "N passed, N failed" line. Each check prints where it failed and
 * coatcheck's last error message. */
#ifndef COATCHECK_TEST_CHECK_H
#define COATCHECK_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coatcheck.h"

static int checks_failed_in_test;
static int tests_passed;
static int tests_failed;

#define FAIL_AT(fmt, ...)                                                                   \
    do {                                                                                    \
        fprintf(stderr, "  %s:%d: " fmt "\n    last error: %s\n", __FILE__, __LINE__,       \
                __VA_ARGS__, coatcheck_last_error_message());                               \
        checks_failed_in_test++;                                                            \
    } while (0)

/* A condition that must hold. */
#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) FAIL_AT("CHECK(%s) failed", #cond);                                    \
    } while (0)

/* A call that must return `expected`. */
#define CHECK_STATUS(call, expected)                                                        \
    do {                                                                                    \
        coatcheck_status check_status_ = (call);                                            \
        if (check_status_ != (expected))                                                    \
            FAIL_AT("%s returned %s, expected %s", #call, coatcheck_status_name(check_status_), \
                    coatcheck_status_name(expected));                                       \
    } while (0)

/* A call that must succeed. */
#define CHECK_OK(call) CHECK_STATUS(call, COATCHECK_OK)

/* Two C strings that must be equal (NULL equals only NULL). */
#define CHECK_STR(actual, expected)                                                         \
    do {                                                                                    \
        const char *check_a_ = (actual), *check_e_ = (expected);                            \
        if (!((check_a_ == NULL && check_e_ == NULL) ||                                     \
              (check_a_ != NULL && check_e_ != NULL && strcmp(check_a_, check_e_) == 0)))   \
            FAIL_AT("%s is \"%s\", expected \"%s\"", #actual, check_a_ ? check_a_ : "(null)", \
                    check_e_ ? check_e_ : "(null)");                                        \
    } while (0)

/* A C string that must contain `needle`. */
#define CHECK_CONTAINS(haystack, needle)                                                    \
    do {                                                                                    \
        const char *check_h_ = (haystack);                                                  \
        if (check_h_ == NULL || strstr(check_h_, (needle)) == NULL)                         \
            FAIL_AT("%s is \"%s\", which lacks \"%s\"", #haystack,                          \
                    check_h_ ? check_h_ : "(null)", (needle));                              \
    } while (0)

#define RUN(test)                                                                           \
    do {                                                                                    \
        checks_failed_in_test = 0;                                                          \
        test();                                                                             \
        if (checks_failed_in_test == 0) {                                                   \
            tests_passed++;                                                                 \
            printf("ok      %s\n", #test);                                                  \
        } else {                                                                            \
            tests_failed++;                                                                 \
            printf("FAILED  %s\n", #test);                                                  \
        }                                                                                   \
    } while (0)

/* Prints the closing line and gives main's exit code. */
static inline int finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}

/* A fresh in-memory store with a manual clock and no background sweeper. */
static inline coatcheck_store *memory_store(void) {
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    if (coatcheck_options_new(&options) != COATCHECK_OK ||
        coatcheck_options_set_manual_clock_ms(options, 1795952525000) != COATCHECK_OK ||
        coatcheck_options_set_sweep_interval_ms(options, 0) != COATCHECK_OK ||
        coatcheck_store_open_in_memory(options, &store) != COATCHECK_OK) {
        fprintf(stderr, "cannot open a store: %s\n", coatcheck_last_error_message());
        exit(2);
    }
    coatcheck_options_free(options);
    return store;
}

/* Creates an anonymous session; returns its token (free with coatcheck_string_free). */
static inline char *new_token(coatcheck_store *store) {
    coatcheck_session *session = NULL;
    char *token = NULL;
    if (coatcheck_store_create(store, NULL, &session) != COATCHECK_OK ||
        coatcheck_session_token(session, &token) != COATCHECK_OK || token == NULL) {
        fprintf(stderr, "cannot create a session: %s\n", coatcheck_last_error_message());
        exit(2);
    }
    coatcheck_session_free(session);
    return token;
}

/* A unique path for a store file under $TMPDIR (or /tmp), removed first. */
static inline void temp_store_path(char *buf, size_t len, const char *name) {
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/coatcheck-c-test-%ld-%s.redb", dir && *dir ? dir : "/tmp",
             (long)getpid(), name);
    remove(buf);
}

#endif
