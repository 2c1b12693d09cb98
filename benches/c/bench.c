/* bench.c: get and set_json through the C ABI. `make bench-c` runs it next
 * to bindings/c/examples/bench_rust.rs, which times the same operations on
 * the same workload in Rust, and prints the ratios.
 *
 * Workload: an in-memory store (no fsync, so the call overhead shows), one
 * session holding {"cart": ["tea", "milk"], "theme": "dark", "n": 0};
 * `get` reads it (and frees the handle), `set_json` writes "n". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "coatcheck.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void must(coatcheck_status status, const char *what) {
    if (status != COATCHECK_OK) {
        fprintf(stderr, "%s: %s\n", what, coatcheck_last_error_message());
        exit(1);
    }
}

int main(int argc, char **argv) {
    long gets = argc > 1 ? atol(argv[1]) : 200000;
    long sets = argc > 2 ? atol(argv[2]) : 50000;
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    coatcheck_create_options *create = NULL;
    coatcheck_session *session = NULL;
    char *token = NULL;

    must(coatcheck_options_new(&options), "options");
    must(coatcheck_options_set_sweep_interval_ms(options, 0), "options");
    must(coatcheck_store_open_in_memory(options, &store), "open");
    must(coatcheck_create_options_new(&create), "create options");
    must(coatcheck_create_options_set_data_json(
             create, "{\"cart\": [\"tea\", \"milk\"], \"theme\": \"dark\", \"n\": 0}"),
         "data");
    must(coatcheck_store_create(store, create, &session), "create");
    must(coatcheck_session_token(session, &token), "token");

    for (long i = 0; i < gets / 10; i++) { /* warm-up */
        coatcheck_session *s = NULL;
        must(coatcheck_store_get(store, token, &s), "get");
        coatcheck_session_free(s);
    }
    double start = now_ns();
    for (long i = 0; i < gets; i++) {
        coatcheck_session *s = NULL;
        must(coatcheck_store_get(store, token, &s), "get");
        coatcheck_session_free(s);
    }
    double get_ns = (now_ns() - start) / (double)gets;

    char value[32];
    start = now_ns();
    for (long i = 0; i < sets; i++) {
        snprintf(value, sizeof value, "%ld", i + 1);
        must(coatcheck_store_set_json(store, token, "n", value), "set_json");
    }
    double set_ns = (now_ns() - start) / (double)sets;

    printf("c get_ns %.1f\n", get_ns);
    printf("c set_json_ns %.1f\n", set_ns);

    coatcheck_string_free(token);
    coatcheck_session_free(session);
    coatcheck_create_options_free(create);
    coatcheck_options_free(options);
    must(coatcheck_store_close(&store), "close");
    return 0;
}
