/* Built by CMake against the installed libcoatcheck.a
 * (coatcheck::coatcheck_static): creates a session in the store named on
 * the command line and counts it. Exits 1 on any failure. */
#include <coatcheck.h>

#include <stdio.h>

int main(int argc, char **argv) {
    coatcheck_store *store = NULL;
    coatcheck_session *session = NULL;
    uint64_t count = 0;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s STORE_FILE\n", argv[0]);
        return 2;
    }
    if (coatcheck_store_open(argv[1], NULL, &store) == COATCHECK_OK &&
        coatcheck_store_create(store, NULL, &session) == COATCHECK_OK &&
        coatcheck_store_count(store, &count) == COATCHECK_OK && count == 1) {
        printf("C via find_package, static: %llu session\n", (unsigned long long)count);
        rc = 0;
    } else {
        fprintf(stderr, "failed: %s\n", coatcheck_last_error_message());
    }
    coatcheck_session_free(session);
    if (coatcheck_store_close(&store) != COATCHECK_OK) rc = 1;
    return rc;
}
