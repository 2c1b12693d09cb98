/* Security review findings (issue 11) through the C ABI: each test is named
 * for the behaviour the fix guarantees. */
#include "check.h"

static void login_ends_a_pair_issued_before_it(void) {
    coatcheck_store *store = memory_store();
    char *planted = new_token(store);
    coatcheck_token_pair *pair = NULL, *stolen = NULL;
    coatcheck_session *signed_in = NULL, *via_access = NULL;
    char *access = NULL, *refresh = NULL;

    CHECK_OK(coatcheck_store_issue_pair(store, planted, &pair));
    CHECK_OK(coatcheck_token_pair_access(pair, &access));
    CHECK_OK(coatcheck_token_pair_refresh(pair, &refresh));
    CHECK_OK(coatcheck_store_login(store, planted, "victim", &signed_in));
    CHECK_STATUS(coatcheck_store_refresh(store, refresh, &stolen), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "rotated");
    CHECK(stolen == NULL);
    CHECK_STATUS(coatcheck_store_verify_access(store, access, &via_access), COATCHECK_REVOKED);
    CHECK(via_access == NULL);

    coatcheck_session_free(signed_in);
    coatcheck_token_pair_free(pair);
    coatcheck_string_free(access);
    coatcheck_string_free(refresh);
    coatcheck_string_free(planted);
    CHECK_OK(coatcheck_store_close(&store));
}

static void an_expired_access_token_has_its_own_status(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    coatcheck_token_pair *pair = NULL, *next = NULL;
    coatcheck_session *session = NULL;
    char *access = NULL, *refresh = NULL;

    CHECK_OK(coatcheck_store_issue_pair(store, token, &pair));
    CHECK_OK(coatcheck_token_pair_access(pair, &access));
    CHECK_OK(coatcheck_token_pair_refresh(pair, &refresh));
    CHECK_OK(coatcheck_store_advance_clock_ms(store, 16 * 60 * 1000));
    CHECK_STATUS(coatcheck_store_verify_access(store, access, &session),
                 COATCHECK_ACCESS_EXPIRED);
    CHECK(!coatcheck_status_is_not_found(COATCHECK_ACCESS_EXPIRED));
    CHECK_STR(coatcheck_status_name(COATCHECK_ACCESS_EXPIRED), "COATCHECK_ACCESS_EXPIRED");
    CHECK(COATCHECK_ACCESS_EXPIRED == 13);
    /* Refresh, don't sign in: the session lives on. */
    CHECK_OK(coatcheck_store_refresh(store, refresh, &next));

    coatcheck_token_pair_free(next);
    coatcheck_token_pair_free(pair);
    coatcheck_string_free(access);
    coatcheck_string_free(refresh);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void a_missing_header_is_no_token_and_odd_bytes_elsewhere_are_ignored(void) {
    coatcheck_cookie_config *cookies = NULL;
    char *found = (char *)"sentinel";
    const char *token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char header[256];

    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    /* getenv("HTTP_COOKIE") and getenv("HTTP_AUTHORIZATION") without the header. */
    CHECK_OK(coatcheck_http_token_from_cookie_header(cookies, NULL, &found));
    CHECK(found == NULL);
    found = (char *)"sentinel";
    CHECK_OK(coatcheck_http_token_from_authorization(NULL, &found));
    CHECK(found == NULL);
    /* One byte that is not UTF-8 in another cookie does not hide the session. */
    snprintf(header, sizeof header, "theme=caf\xe9; session=%s", token);
    CHECK_OK(coatcheck_http_token_from_cookie_header(cookies, header, &found));
    CHECK_STR(found, token);
    coatcheck_string_free(found);
    /* ...and a session cookie with such a byte is no token, not an error. */
    CHECK_OK(coatcheck_http_token_from_cookie_header(cookies, "session=caf\xe9", &found));
    CHECK(found == NULL);
    CHECK_OK(coatcheck_http_token_from_authorization("Bearer \xff", &found));
    CHECK(found == NULL);

    coatcheck_cookie_config_free(cookies);
}

int main(void) {
    RUN(login_ends_a_pair_issued_before_it);
    RUN(an_expired_access_token_has_its_own_status);
    RUN(a_missing_header_is_no_token_and_odd_bytes_elsewhere_are_ignored);
    return finish("test_security");
}
