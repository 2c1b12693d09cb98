/* hello.c: open a store, create a session, set a value, read it back, and
 * print the Set-Cookie header that hands the token to the browser.
 *
 *   cargo build --release -p coatcheck-c
 *   cc examples/c/hello.c -Iinclude -Ltarget/release -lcoatcheck -o hello
 *   LD_LIBRARY_PATH=target/release ./hello sessions.redb
 */
#include <stdio.h>

#include "coatcheck.h"

/* Prints what failed and returns 1. */
static int fail(const char *what, coatcheck_status status) {
    fprintf(stderr, "%s failed (%s): %s\n", what, coatcheck_status_name(status),
            coatcheck_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "hello.redb";
    coatcheck_store *store = NULL;
    coatcheck_session *session = NULL, *again = NULL;
    coatcheck_cookie_config *cookies = NULL;
    char *token = NULL, *theme = NULL, *set_cookie = NULL;
    coatcheck_status status;
    int rc = 1;

    if ((status = coatcheck_store_open(path, NULL, &store)) != COATCHECK_OK)
        return fail("open", status);

    /* A new visitor: the token goes into the cookie. */
    if ((status = coatcheck_store_create(store, NULL, &session)) != COATCHECK_OK) {
        fail("create", status);
        goto done;
    }
    coatcheck_session_token(session, &token);

    /* Values cross as JSON text. */
    if ((status = coatcheck_store_set_json(store, token, "theme", "\"dark\"")) != COATCHECK_OK) {
        fail("set_json", status);
        goto done;
    }

    /* The next request presents the token and gets the session back. */
    if ((status = coatcheck_store_get(store, token, &again)) != COATCHECK_OK) {
        fail("get", status);
        goto done;
    }
    coatcheck_session_get_json(again, "theme", &theme);
    printf("theme = %s\n", theme);

    /* The response hands the token to the browser (Secure, HttpOnly, Lax). */
    if ((status = coatcheck_cookie_config_new(&cookies)) != COATCHECK_OK ||
        (status = coatcheck_http_set_cookie(cookies, session, &set_cookie)) != COATCHECK_OK) {
        fail("set_cookie", status);
        goto done;
    }
    printf("Set-Cookie: %s\n", set_cookie);
    rc = 0;

done:
    coatcheck_string_free(set_cookie);
    coatcheck_cookie_config_free(cookies);
    coatcheck_string_free(theme);
    coatcheck_string_free(token);
    coatcheck_session_free(again);
    coatcheck_session_free(session);
    if ((status = coatcheck_store_close(&store)) != COATCHECK_OK) return fail("close", status);
    return rc;
}
