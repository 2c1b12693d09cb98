/* The web layer through the C ABI: CSRF, token pairs and theft, cookies,
 * bearer tokens. */
#include "check.h"

static void csrf_tokens_verify_and_are_masked_each_time(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    char *other = new_token(store);
    char *csrf1 = NULL, *csrf2 = NULL, *foreign = NULL;
    bool ok = false;

    CHECK_OK(coatcheck_store_csrf_token(store, token, &csrf1));
    CHECK_OK(coatcheck_store_csrf_token(store, token, &csrf2));
    CHECK(csrf1 != NULL && csrf2 != NULL && strcmp(csrf1, csrf2) != 0); /* BREACH: fresh pad */
    CHECK_OK(coatcheck_store_verify_csrf(store, token, csrf1, &ok));
    CHECK(ok);
    CHECK_OK(coatcheck_store_verify_csrf(store, token, csrf2, &ok));
    CHECK(ok);
    /* Another session's token, or garbage, is refused. */
    CHECK_OK(coatcheck_store_csrf_token(store, other, &foreign));
    CHECK_OK(coatcheck_store_verify_csrf(store, token, foreign, &ok));
    CHECK(!ok);
    CHECK_OK(coatcheck_store_verify_csrf(store, token, "forged", &ok));
    CHECK(!ok);
    CHECK_OK(coatcheck_store_verify_csrf(store, token, "", &ok));
    CHECK(!ok);
    /* Regenerating the session rotates the CSRF secret. */
    coatcheck_session *fresh = NULL;
    char *fresh_token = NULL;
    CHECK_OK(coatcheck_store_regenerate(store, token, &fresh));
    CHECK_OK(coatcheck_session_token(fresh, &fresh_token));
    CHECK_OK(coatcheck_store_verify_csrf(store, fresh_token, csrf1, &ok));
    CHECK(!ok);
    /* A dead session is an error, not a "false". */
    CHECK_STATUS(coatcheck_store_verify_csrf(store, token, csrf1, &ok), COATCHECK_REVOKED);
    CHECK_STATUS(coatcheck_store_verify_csrf(store, token, NULL, &ok), COATCHECK_INVALID_ARGUMENT);

    coatcheck_session_free(fresh);
    coatcheck_string_free(fresh_token);
    coatcheck_string_free(csrf1);
    coatcheck_string_free(csrf2);
    coatcheck_string_free(foreign);
    coatcheck_string_free(token);
    coatcheck_string_free(other);
    CHECK_OK(coatcheck_store_close(&store));
}

static void token_pair_refresh_rotates_and_replay_is_theft(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "role", "\"reader\""));

    coatcheck_token_pair *pair = NULL, *second = NULL, *retry = NULL, *stolen = NULL;
    char *access = NULL, *refresh = NULL, *access2 = NULL, *refresh2 = NULL, *retry_refresh = NULL;
    int64_t access_exp = 0, refresh_exp = 0;
    CHECK_OK(coatcheck_store_issue_pair(store, token, &pair));
    CHECK_OK(coatcheck_token_pair_access(pair, &access));
    CHECK_OK(coatcheck_token_pair_refresh(pair, &refresh));
    CHECK_OK(coatcheck_token_pair_access_expires_at_ms(pair, &access_exp));
    CHECK_OK(coatcheck_token_pair_refresh_expires_at_ms(pair, &refresh_exp));
    CHECK(access_exp == 1795952525000 + 15 * 60 * 1000);
    CHECK(refresh_exp == 1795952525000 + 30LL * 86400 * 1000);
    CHECK(access != NULL && strchr(access, '.') != NULL); /* a JWT */

    /* The access token opens the session. */
    coatcheck_session *session = NULL;
    char *role = NULL;
    CHECK_OK(coatcheck_store_verify_access(store, access, &session));
    CHECK_OK(coatcheck_session_get_json(session, "role", &role));
    CHECK_STR(role, "\"reader\"");
    coatcheck_session_free(session);
    CHECK_STATUS(coatcheck_store_verify_access(store, "not.a.jwt", &session), COATCHECK_INVALID_TOKEN);

    /* Refresh: a new pair; a retry within the grace gets the same pair. */
    CHECK_OK(coatcheck_store_refresh(store, refresh, &second));
    CHECK_OK(coatcheck_token_pair_access(second, &access2));
    CHECK_OK(coatcheck_token_pair_refresh(second, &refresh2));
    CHECK(strcmp(refresh2, refresh) != 0);
    CHECK_OK(coatcheck_store_refresh(store, refresh, &retry));
    CHECK_OK(coatcheck_token_pair_refresh(retry, &retry_refresh));
    CHECK_STR(retry_refresh, refresh2);

    /* After the grace, replaying the spent refresh token is theft. */
    CHECK_OK(coatcheck_store_advance_clock_ms(store, 11 * 1000));
    CHECK_STATUS(coatcheck_store_refresh(store, refresh, &stolen), COATCHECK_TOKEN_REUSE);
    CHECK(stolen == NULL);
    CHECK_CONTAINS(coatcheck_last_error_message(), "revoked");
    /* Everything of that session is dead now. */
    CHECK_STATUS(coatcheck_store_get(store, token, &session), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "theft");
    CHECK(coatcheck_store_verify_access(store, access2, &session) != COATCHECK_OK);
    CHECK(coatcheck_store_refresh(store, refresh2, &stolen) != COATCHECK_OK);
    CHECK(stolen == NULL);

    coatcheck_string_free(role);
    coatcheck_string_free(access);
    coatcheck_string_free(refresh);
    coatcheck_string_free(access2);
    coatcheck_string_free(refresh2);
    coatcheck_string_free(retry_refresh);
    coatcheck_token_pair_free(pair);
    coatcheck_token_pair_free(second);
    coatcheck_token_pair_free(retry);
    coatcheck_token_pair_free(NULL);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void set_cookie_round_trips_through_the_cookie_header(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    coatcheck_session *session = NULL, *got = NULL;
    char *token = NULL, *header = NULL, *found = NULL, *cleared = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_store_create(store, NULL, &session));
    CHECK_OK(coatcheck_session_token(session, &token));

    CHECK_OK(coatcheck_http_set_cookie(cookies, session, &header));
    CHECK(header != NULL && strncmp(header, "session=", 8) == 0);
    CHECK_CONTAINS(header, "HttpOnly");
    CHECK_CONTAINS(header, "Secure");
    CHECK_CONTAINS(header, "SameSite=Lax");
    CHECK(strstr(header, "Max-Age") == NULL); /* a browser-session cookie */

    char request[512];
    snprintf(request, sizeof request, "theme=dark; session=%s; lang=en", token);
    CHECK_OK(coatcheck_http_token_from_cookie_header(cookies, request, &found));
    CHECK_STR(found, token);
    coatcheck_string_free(found);
    CHECK_OK(coatcheck_http_token_from_cookie_header(cookies, "theme=dark", &found));
    CHECK(found == NULL);

    /* A session read back carries no token: set_cookie_for takes it. */
    CHECK_OK(coatcheck_store_get(store, token, &got));
    coatcheck_string_free(header);
    CHECK_STATUS(coatcheck_http_set_cookie(cookies, got, &header), COATCHECK_INVALID_ARGUMENT);
    CHECK(header == NULL);
    CHECK_OK(coatcheck_http_set_cookie_for(cookies, token, got, &header));
    CHECK(header != NULL && strncmp(header, "session=", 8) == 0);

    CHECK_OK(coatcheck_http_clear_cookie(cookies, &cleared));
    CHECK_CONTAINS(cleared, "Max-Age=0");

    coatcheck_string_free(cleared);
    coatcheck_string_free(header);
    coatcheck_string_free(token);
    coatcheck_session_free(session);
    coatcheck_session_free(got);
    coatcheck_cookie_config_free(cookies);
    CHECK_OK(coatcheck_store_close(&store));
}

static void remember_sessions_get_a_max_age(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    coatcheck_create_options *options = NULL;
    coatcheck_session *session = NULL;
    char *header = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_cookie_config_set_name(cookies, "sid"));
    CHECK_OK(coatcheck_cookie_config_set_path(cookies, "/app"));
    CHECK_OK(coatcheck_cookie_config_set_domain(cookies, "example.com"));
    CHECK_OK(coatcheck_cookie_config_set_same_site(cookies, COATCHECK_SAME_SITE_STRICT));
    CHECK_STATUS(coatcheck_cookie_config_set_same_site(cookies, 42), COATCHECK_INVALID_ARGUMENT);
    CHECK_OK(coatcheck_create_options_new(&options));
    CHECK_OK(coatcheck_create_options_set_remember(options, true));
    CHECK_OK(coatcheck_store_create(store, options, &session));
    CHECK_OK(coatcheck_http_set_cookie(cookies, session, &header));
    CHECK(header != NULL && strncmp(header, "sid=", 4) == 0);
    CHECK_CONTAINS(header, "Max-Age=2592000");
    CHECK_CONTAINS(header, "Path=/app");
    CHECK_CONTAINS(header, "Domain=example.com");
    CHECK_CONTAINS(header, "SameSite=Strict");
    coatcheck_string_free(header);
    coatcheck_session_free(session);
    coatcheck_create_options_free(options);
    coatcheck_cookie_config_free(cookies);
    CHECK_OK(coatcheck_store_close(&store));
}

static void signed_cookies_survive_key_rotation_and_refuse_forgery(void) {
    const uint8_t old_key[32] = "0123456789abcdef0123456789abcdef";
    const uint8_t new_key[32] = "fedcba9876543210fedcba9876543210";
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *before = NULL, *after = NULL;
    coatcheck_session *session = NULL;
    char *token = NULL, *header = NULL, *found = NULL;

    CHECK_OK(coatcheck_cookie_config_new(&before));
    CHECK_OK(coatcheck_cookie_config_set_signed(before, true));
    CHECK_STATUS(coatcheck_cookie_config_add_key(before, old_key, 8), COATCHECK_INVALID_ARGUMENT);
    CHECK_OK(coatcheck_cookie_config_add_key(before, old_key, sizeof old_key));
    CHECK_OK(coatcheck_store_create(store, NULL, &session));
    CHECK_OK(coatcheck_session_token(session, &token));
    CHECK_OK(coatcheck_http_set_cookie(before, session, &header));

    /* The request sends back "session=TOKEN.SIG". */
    char request[512];
    snprintf(request, sizeof request, "%.*s", (int)strcspn(header, ";"), header);
    CHECK_OK(coatcheck_http_token_from_cookie_header(before, request, &found));
    CHECK_STR(found, token);
    coatcheck_string_free(found);

    /* Rotation: sign with the new key, still accept the old one. */
    CHECK_OK(coatcheck_cookie_config_new(&after));
    CHECK_OK(coatcheck_cookie_config_set_signed(after, true));
    CHECK_OK(coatcheck_cookie_config_add_key(after, new_key, sizeof new_key));
    CHECK_OK(coatcheck_cookie_config_add_key(after, old_key, sizeof old_key));
    CHECK_OK(coatcheck_http_token_from_cookie_header(after, request, &found));
    CHECK_STR(found, token);
    coatcheck_string_free(found);

    /* A bare token, or a tampered signature, is refused. */
    char forged[512];
    snprintf(forged, sizeof forged, "session=%s", token);
    CHECK_OK(coatcheck_http_token_from_cookie_header(after, forged, &found));
    CHECK(found == NULL);
    request[strlen(request) - 1] ^= 1;
    CHECK_OK(coatcheck_http_token_from_cookie_header(after, request, &found));
    CHECK(found == NULL);

    /* Signed without a key is a configuration error. */
    coatcheck_cookie_config *keyless = NULL;
    char *none = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&keyless));
    CHECK_OK(coatcheck_cookie_config_set_signed(keyless, true));
    CHECK_STATUS(coatcheck_http_set_cookie(keyless, session, &none), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "key");
    coatcheck_cookie_config_free(keyless);

    coatcheck_string_free(header);
    coatcheck_string_free(token);
    coatcheck_session_free(session);
    coatcheck_cookie_config_free(before);
    coatcheck_cookie_config_free(after);
    CHECK_OK(coatcheck_store_close(&store));
}

static void csrf_cookie_is_readable_by_scripts(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    char *token = new_token(store);
    char *csrf = NULL, *header = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_store_csrf_token(store, token, &csrf));
    CHECK_OK(coatcheck_http_csrf_cookie(cookies, csrf, &header));
    CHECK(header != NULL && strncmp(header, "XSRF-TOKEN=", 11) == 0);
    CHECK_CONTAINS(header, csrf);
    CHECK(strstr(header, "HttpOnly") == NULL);
    CHECK_OK(coatcheck_cookie_config_set_csrf_cookie_name(cookies, "bad name"));
    coatcheck_string_free(header);
    CHECK_STATUS(coatcheck_http_csrf_cookie(cookies, csrf, &header), COATCHECK_INVALID_ARGUMENT);
    CHECK(header == NULL);
    coatcheck_string_free(csrf);
    coatcheck_string_free(token);
    coatcheck_cookie_config_free(cookies);
    CHECK_OK(coatcheck_store_close(&store));
}

static void bearer_tokens_come_from_the_authorization_header(void) {
    char *token = NULL;
    CHECK_OK(coatcheck_http_token_from_authorization("Bearer abc123", &token));
    CHECK_STR(token, "abc123");
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_http_token_from_authorization("  bearer xyz  ", &token));
    CHECK_STR(token, "xyz");
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_http_token_from_authorization("Basic dXNlcjpwYXNz", &token));
    CHECK(token == NULL);
    CHECK_OK(coatcheck_http_token_from_authorization("Bearer", &token));
    CHECK(token == NULL);
    /* NULL (no header) and odd bytes: no token; see test_security.c. */
    CHECK_OK(coatcheck_http_token_from_authorization(NULL, &token));
    CHECK(token == NULL);
}

int main(void) {
    RUN(csrf_tokens_verify_and_are_masked_each_time);
    RUN(token_pair_refresh_rotates_and_replay_is_theft);
    RUN(set_cookie_round_trips_through_the_cookie_header);
    RUN(remember_sessions_get_a_max_age);
    RUN(signed_cookies_survive_key_rotation_and_refuse_forgery);
    RUN(csrf_cookie_is_readable_by_scripts);
    RUN(bearer_tokens_come_from_the_authorization_header);
    return finish("test_web");
}
