/* What the setters of the C face refuse at once, and what they reset:
 * cookie names, paths and domains are checked by their setter (not first at
 * coatcheck_http_set_cookie), a NULL token prefix means none, and an empty
 * data key is refused everywhere data is written. */
#include "check.h"

/* The Set-Cookie value `cookies` writes for a new session of `store`. */
static char *set_cookie_of(coatcheck_store *store, const coatcheck_cookie_config *cookies) {
    coatcheck_session *session = NULL;
    char *header = NULL;
    if (coatcheck_store_create(store, NULL, &session) != COATCHECK_OK ||
        coatcheck_http_set_cookie(cookies, session, &header) != COATCHECK_OK) {
        fprintf(stderr, "cannot write a cookie: %s\n", coatcheck_last_error_message());
        exit(2);
    }
    coatcheck_session_free(session);
    return header;
}

static void cookie_name_is_checked_by_its_setter(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_cookie_config_set_name(cookies, "sid"));
    const char *bad[] = {"", "a;b", "a\r\nSet-Cookie: x=y", "a b", "a=b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(coatcheck_cookie_config_set_name(cookies, bad[i]),
                     COATCHECK_INVALID_ARGUMENT);
        CHECK_CONTAINS(coatcheck_last_error_message(), "cookie_config_set_name");
        CHECK_CONTAINS(coatcheck_last_error_message(), "not a valid cookie name");
    }
    /* Nothing changed: the cookie still has the last good name. */
    char *header = set_cookie_of(store, cookies);
    CHECK(strncmp(header, "sid=", 4) == 0);
    coatcheck_string_free(header);
    coatcheck_cookie_config_free(cookies);
    CHECK_OK(coatcheck_store_close(&store));
}

static void cookie_path_and_domain_are_checked_by_their_setters(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_cookie_config_set_path(cookies, "/app"));
    CHECK_OK(coatcheck_cookie_config_set_domain(cookies, "example.com"));
    const char *bad_paths[] = {"", "app", "/app;Domain=evil.test", "/app\r\nX: y"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        CHECK_STATUS(coatcheck_cookie_config_set_path(cookies, bad_paths[i]),
                     COATCHECK_INVALID_ARGUMENT);
        CHECK_CONTAINS(coatcheck_last_error_message(), "cookie path must start with '/'");
    }
    const char *bad_domains[] = {"", "example.com;Path=/", "example.com\r\nX: y", "a b"};
    for (size_t i = 0; i < sizeof bad_domains / sizeof bad_domains[0]; i++) {
        CHECK_STATUS(coatcheck_cookie_config_set_domain(cookies, bad_domains[i]),
                     COATCHECK_INVALID_ARGUMENT);
        CHECK_CONTAINS(coatcheck_last_error_message(), "cookie domain");
    }
    char *header = set_cookie_of(store, cookies);
    CHECK_CONTAINS(header, "Path=/app");
    CHECK_CONTAINS(header, "Domain=example.com");
    coatcheck_string_free(header);
    /* NULL is the documented reset: this host only. */
    CHECK_OK(coatcheck_cookie_config_set_domain(cookies, NULL));
    header = set_cookie_of(store, cookies);
    CHECK(strstr(header, "Domain=") == NULL);
    coatcheck_string_free(header);
    coatcheck_cookie_config_free(cookies);
    CHECK_OK(coatcheck_store_close(&store));
}

static void cookie_setters_refuse_null_config_and_null_text(void) {
    coatcheck_cookie_config *cookies = NULL;
    CHECK_STATUS(coatcheck_cookie_config_set_name(NULL, "sid"), COATCHECK_INVALID_ARGUMENT);
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_STATUS(coatcheck_cookie_config_set_name(cookies, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_cookie_config_set_path(cookies, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_cookie_config_set_csrf_cookie_name(cookies, NULL),
                 COATCHECK_INVALID_ARGUMENT);
    coatcheck_cookie_config_free(cookies);
}

/* A token of a store opened with `options` (plus a manual clock). */
static char *token_with(coatcheck_options *options) {
    coatcheck_store *store = NULL;
    char *token = NULL;
    if (coatcheck_store_open_in_memory(options, &store) != COATCHECK_OK) {
        fprintf(stderr, "cannot open: %s\n", coatcheck_last_error_message());
        exit(2);
    }
    token = new_token(store);
    coatcheck_store_close(&store);
    return token;
}

static void null_token_prefix_resets_to_none(void) {
    coatcheck_options *options = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_options_set_token_prefix(options, "cc_"));
    char *prefixed = token_with(options);
    CHECK(strncmp(prefixed, "cc_", 3) == 0);
    CHECK_OK(coatcheck_options_set_token_prefix(options, NULL));
    char *plain = token_with(options);
    CHECK(strncmp(plain, "cc_", 3) != 0);
    CHECK(strlen(plain) == strlen(prefixed) - 3);
    coatcheck_string_free(prefixed);
    coatcheck_string_free(plain);
    /* A prefix outside the rule is refused when the store opens. */
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_set_token_prefix(options, "cc;"));
    CHECK_STATUS(coatcheck_store_open_in_memory(options, &store), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "token_prefix");
    CHECK(store == NULL);
    coatcheck_options_free(options);
}

static void an_empty_data_key_is_refused_and_nothing_changes(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    coatcheck_session *session = NULL;
    char *data = NULL;
    uint64_t count = 0;

    CHECK_STATUS(coatcheck_store_set_json(store, token, "", "1"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "the key is empty");
    CHECK_STATUS(coatcheck_store_flash_json(store, token, "", "1"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "the key is empty");
    CHECK_STATUS(coatcheck_store_replace_if_json(store, token, 0, "{\"\": 1}", NULL),
                 COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "the key is empty");
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_data_json(session, &data));
    CHECK_STR(data, "{}");
    coatcheck_string_free(data);
    coatcheck_session_free(session);
    session = NULL;

    /* At create: the setter takes the JSON, create refuses the key. */
    coatcheck_create_options *create = NULL;
    CHECK_OK(coatcheck_create_options_new(&create));
    CHECK_OK(coatcheck_create_options_set_data_json(create, "{\"\": 1}"));
    CHECK_STATUS(coatcheck_store_create(store, create, &session), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "the key is empty");
    CHECK(session == NULL);
    CHECK_OK(coatcheck_store_count(store, &count));
    CHECK(count == 1);

    coatcheck_create_options_free(create);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void a_closed_store_is_null_and_calls_on_it_are_invalid_arguments(void) {
    coatcheck_store *store = memory_store();
    uint64_t count = 7;
    CHECK_OK(coatcheck_store_close(&store));
    CHECK(store == NULL);
    CHECK_STATUS(coatcheck_store_count(store, &count), COATCHECK_INVALID_ARGUMENT);
    CHECK(count == 0);
    CHECK_CONTAINS(coatcheck_last_error_message(), "store is NULL");
}

int main(void) {
    RUN(cookie_name_is_checked_by_its_setter);
    RUN(cookie_path_and_domain_are_checked_by_their_setters);
    RUN(cookie_setters_refuse_null_config_and_null_text);
    RUN(null_token_prefix_resets_to_none);
    RUN(an_empty_data_key_is_refused_and_nothing_changes);
    RUN(a_closed_store_is_null_and_calls_on_it_are_invalid_arguments);
    return finish("test_setters");
}
