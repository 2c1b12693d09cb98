/* Security review findings (issue 11) through the C ABI: each test is named
 * for the behaviour the fix guarantees. */
#include <pthread.h>
#include <time.h>

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

static void cookie_candidates_list_every_session_cookie(void) {
    coatcheck_cookie_config *cookies = NULL;
    char *json = NULL;
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_http_token_candidates_from_cookie_header(
        cookies,
        "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; x=1; "
        "session=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        &json));
    CHECK_STR(json, "[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                    "\"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\"]");
    coatcheck_string_free(json);
    CHECK_OK(coatcheck_http_token_candidates_from_cookie_header(cookies, NULL, &json));
    CHECK_STR(json, "[]");
    coatcheck_string_free(json);
    coatcheck_cookie_config_free(cookies);
}

static void a_host_prefixed_cookie_with_a_domain_is_refused(void) {
    coatcheck_store *store = memory_store();
    coatcheck_cookie_config *cookies = NULL;
    coatcheck_session *session = NULL;
    char *header = NULL;
    CHECK_OK(coatcheck_store_create(store, NULL, &session));
    CHECK_OK(coatcheck_cookie_config_new(&cookies));
    CHECK_OK(coatcheck_cookie_config_set_name(cookies, "__Host-session"));
    CHECK_OK(coatcheck_http_set_cookie(cookies, session, &header));
    CHECK_CONTAINS(header, "__Host-session=");
    coatcheck_string_free(header);
    header = NULL;
    CHECK_OK(coatcheck_cookie_config_set_domain(cookies, "example.com"));
    CHECK_STATUS(coatcheck_http_set_cookie(cookies, session, &header), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "__Host-");
    CHECK(header == NULL);
    /* Short signing keys are refused when added. */
    CHECK_STATUS(coatcheck_cookie_config_add_key(cookies, (const uint8_t *)"k", 1),
                 COATCHECK_INVALID_ARGUMENT);
    coatcheck_cookie_config_free(cookies);
    coatcheck_session_free(session);
    CHECK_OK(coatcheck_store_close(&store));
}

/* Creates a session of `user`; writes its token and id (free both). */
static void user_session(coatcheck_store *store, const char *user, char **token, char **id) {
    coatcheck_create_options *options = NULL;
    coatcheck_session *session = NULL;
    CHECK_OK(coatcheck_create_options_new(&options));
    CHECK_OK(coatcheck_create_options_set_user(options, user));
    CHECK_OK(coatcheck_store_create(store, options, &session));
    CHECK_OK(coatcheck_session_token(session, token));
    CHECK_OK(coatcheck_session_id(session, id));
    coatcheck_session_free(session);
    coatcheck_create_options_free(options);
}

static void a_devices_page_cannot_end_another_users_session(void) {
    coatcheck_store *store = memory_store();
    char *ada = NULL, *ada_id = NULL, *bob = NULL, *bob_id = NULL;
    coatcheck_session *got = NULL;
    bool ended = true;
    user_session(store, "ada", &ada, &ada_id);
    user_session(store, "bob", &bob, &bob_id);
    CHECK_OK(coatcheck_store_destroy_user_session(store, "ada", bob_id, &ended));
    CHECK(!ended);
    CHECK_OK(coatcheck_store_get(store, bob, &got));
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_destroy_user_session(store, "ada", ada_id, &ended));
    CHECK(ended);
    got = NULL;
    CHECK_STATUS(coatcheck_store_get(store, ada, &got), COATCHECK_REVOKED);
    CHECK_STATUS(coatcheck_store_destroy_user_session(store, "ada", "nothex", &ended),
                 COATCHECK_INVALID_ARGUMENT);
    coatcheck_string_free(ada);
    coatcheck_string_free(ada_id);
    coatcheck_string_free(bob);
    coatcheck_string_free(bob_id);
    CHECK_OK(coatcheck_store_close(&store));
}

static void a_password_change_keeps_only_this_session_and_revoke_pairs_ends_pairs(void) {
    coatcheck_store *store = memory_store();
    char *laptop = NULL, *laptop_id = NULL, *phone = NULL, *phone_id = NULL, *fresh = NULL;
    char *refresh = NULL;
    coatcheck_session *renewed = NULL, *got = NULL;
    coatcheck_token_pair *pair = NULL, *next = NULL;
    bool revoked = false;
    user_session(store, "ada", &laptop, &laptop_id);
    user_session(store, "ada", &phone, &phone_id);

    CHECK_OK(coatcheck_store_issue_pair(store, phone, &pair));
    CHECK_OK(coatcheck_token_pair_refresh(pair, &refresh));
    CHECK_OK(coatcheck_store_revoke_pairs(store, phone, &revoked));
    CHECK(revoked);
    CHECK_STATUS(coatcheck_store_refresh(store, refresh, &next), COATCHECK_REVOKED);
    CHECK_OK(coatcheck_store_get(store, phone, &got));
    coatcheck_session_free(got);
    got = NULL;

    CHECK_OK(coatcheck_store_revoke_others_and_regenerate(store, laptop, &renewed));
    CHECK_OK(coatcheck_session_token(renewed, &fresh));
    CHECK(fresh != NULL && strcmp(fresh, laptop) != 0);
    CHECK_OK(coatcheck_store_get(store, fresh, &got));
    coatcheck_session_free(got);
    got = NULL;
    CHECK_STATUS(coatcheck_store_get(store, phone, &got), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "logout_everywhere");
    CHECK_STATUS(coatcheck_store_get(store, laptop, &got), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "rotated");

    coatcheck_session_free(renewed);
    coatcheck_token_pair_free(pair);
    coatcheck_string_free(refresh);
    coatcheck_string_free(fresh);
    coatcheck_string_free(laptop);
    coatcheck_string_free(laptop_id);
    coatcheck_string_free(phone);
    coatcheck_string_free(phone_id);
    CHECK_OK(coatcheck_store_close(&store));
}

/* What the events hook heard: the JSON lines, joined. */
struct heard {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char text[4096];
    int count;
};

static void record_event(const char *event_json, void *user_data) {
    struct heard *heard = user_data;
    pthread_mutex_lock(&heard->lock);
    strncat(heard->text, event_json, sizeof heard->text - strlen(heard->text) - 2);
    strcat(heard->text, "\n");
    heard->count++;
    pthread_cond_broadcast(&heard->changed);
    pthread_mutex_unlock(&heard->lock);
}

/* Waits (at most 10 s, no sleeping) until the hook heard `count` events. */
static int wait_for_events(struct heard *heard, int count) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&heard->lock);
    while (heard->count < count &&
           pthread_cond_timedwait(&heard->changed, &heard->lock, &deadline) == 0) {
    }
    int got = heard->count;
    pthread_mutex_unlock(&heard->lock);
    return got;
}

static void the_event_hook_hears_sessions_but_never_a_token(void) {
    static struct heard heard = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "", 0};
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    coatcheck_session *signed_in = NULL;
    char *fresh = NULL;
    bool ended = false;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_options_set_event_hook(options, record_event, &heard));
    CHECK_OK(coatcheck_store_open_in_memory(options, &store));
    coatcheck_options_free(options);

    char *token = new_token(store);
    CHECK_OK(coatcheck_store_login(store, token, "ada", &signed_in));
    CHECK_OK(coatcheck_session_token(signed_in, &fresh));
    CHECK_OK(coatcheck_store_logout(store, fresh, &ended));
    CHECK(wait_for_events(&heard, 3) == 3);
    pthread_mutex_lock(&heard.lock);
    CHECK_CONTAINS(heard.text, "\"kind\":\"created\"");
    CHECK_CONTAINS(heard.text, "\"kind\":\"login\"");
    CHECK_CONTAINS(heard.text, "\"reason\":\"logout\"");
    CHECK_CONTAINS(heard.text, "\"user\":\"ada\"");
    CHECK(strstr(heard.text, token) == NULL && strstr(heard.text, fresh) == NULL);
    pthread_mutex_unlock(&heard.lock);

    coatcheck_session_free(signed_in);
    coatcheck_string_free(fresh);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void a_bound_session_presented_by_another_client_ends(void) {
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    coatcheck_create_options *create = NULL;
    coatcheck_session *session = NULL, *got = NULL;
    char *token = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_options_set_binding(options, true, 24, 64));
    CHECK_OK(coatcheck_store_open_in_memory(options, &store));
    coatcheck_options_free(options);
    CHECK_OK(coatcheck_create_options_new(&create));
    CHECK_OK(coatcheck_create_options_set_meta(create, "203.0.113.7", "Firefox", NULL));
    CHECK_OK(coatcheck_store_create(store, create, &session));
    CHECK_OK(coatcheck_session_token(session, &token));
    CHECK_OK(coatcheck_store_get_from(store, token, "203.0.113.99", "Firefox", &got));
    coatcheck_session_free(got);
    got = NULL;
    /* getenv("HTTP_USER_AGENT") gave NULL: not the bound client. */
    CHECK_STATUS(coatcheck_store_get_from(store, token, "203.0.113.7", NULL, &got),
                 COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "binding_mismatch");
    CHECK_STATUS(coatcheck_store_get(store, token, &got), COATCHECK_REVOKED);
    coatcheck_create_options_free(create);
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

/* A store on `path` whose access key is `key`, with `retired` (or NULL) retired. */
static coatcheck_store *keyed_store(const char *path, const char *key, const char *retired) {
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_manual_clock_ms(options, 1795952525000));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_options_set_access_key(options, (const uint8_t *)key, strlen(key)));
    if (retired != NULL)
        CHECK_OK(coatcheck_options_add_retired_access_key(options, (const uint8_t *)retired,
                                                          strlen(retired)));
    CHECK_STATUS(coatcheck_options_add_retired_access_key(options, (const uint8_t *)"short", 5),
                 COATCHECK_INVALID_ARGUMENT);
    CHECK_OK(coatcheck_store_open(path, options, &store));
    coatcheck_options_free(options);
    return store;
}

static void access_keys_rotate_sign_with_the_new_verify_with_any(void) {
    const char *old_key = "old-access-key-0123456789-0123456789";
    const char *new_key = "new-access-key-0123456789-0123456789";
    char path[512];
    temp_store_path(path, sizeof path, "keys");
    coatcheck_store *store = keyed_store(path, old_key, NULL);
    char *token = new_token(store);
    coatcheck_token_pair *pair = NULL;
    coatcheck_session *got = NULL;
    char *access = NULL;
    CHECK_OK(coatcheck_store_issue_pair(store, token, &pair));
    CHECK_OK(coatcheck_token_pair_access(pair, &access));
    CHECK_OK(coatcheck_store_close(&store));

    store = keyed_store(path, new_key, old_key);
    CHECK_OK(coatcheck_store_verify_access(store, access, &got));
    coatcheck_session_free(got);
    got = NULL;
    CHECK_OK(coatcheck_store_close(&store));

    store = keyed_store(path, new_key, NULL);
    CHECK_STATUS(coatcheck_store_verify_access(store, access, &got), COATCHECK_INVALID_TOKEN);
    CHECK_OK(coatcheck_store_close(&store));

    coatcheck_token_pair_free(pair);
    coatcheck_string_free(access);
    coatcheck_string_free(token);
    remove(path);
}

int main(void) {
    RUN(login_ends_a_pair_issued_before_it);
    RUN(an_expired_access_token_has_its_own_status);
    RUN(a_missing_header_is_no_token_and_odd_bytes_elsewhere_are_ignored);
    RUN(cookie_candidates_list_every_session_cookie);
    RUN(a_host_prefixed_cookie_with_a_domain_is_refused);
    RUN(a_devices_page_cannot_end_another_users_session);
    RUN(a_password_change_keeps_only_this_session_and_revoke_pairs_ends_pairs);
    RUN(the_event_hook_hears_sessions_but_never_a_token);
    RUN(a_bound_session_presented_by_another_client_ends);
    RUN(access_keys_rotate_sign_with_the_new_verify_with_any);
    return finish("test_security");
}
