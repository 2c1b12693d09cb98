/* The session scenarios of the Rust suite, through the C ABI. */
#include "check.h"

static void create_then_get_returns_the_session(void) {
    coatcheck_store *store = memory_store();
    coatcheck_session *created = NULL, *got = NULL;
    char *token = NULL, *id = NULL, *got_id = NULL, *got_token = NULL, *user = NULL;

    CHECK_OK(coatcheck_store_create(store, NULL, &created));
    CHECK_OK(coatcheck_session_token(created, &token));
    CHECK(token != NULL && strlen(token) >= 43);
    CHECK_OK(coatcheck_session_id(created, &id));
    CHECK(id != NULL && strlen(id) == 64);

    CHECK_OK(coatcheck_store_get(store, token, &got));
    CHECK_OK(coatcheck_session_id(got, &got_id));
    CHECK_STR(got_id, id);
    /* Only create, regenerate and login show the token. */
    CHECK_OK(coatcheck_session_token(got, &got_token));
    CHECK(got_token == NULL);
    CHECK_OK(coatcheck_session_user(got, &user));
    CHECK(user == NULL);

    int64_t created_at = 0, expires_at = 0;
    uint64_t version = 99;
    bool remember = true;
    CHECK_OK(coatcheck_session_created_at_ms(got, &created_at));
    CHECK_OK(coatcheck_session_expires_at_ms(got, &expires_at));
    CHECK(created_at == 1795952525000);
    CHECK(expires_at == created_at + 30 * 60 * 1000);
    CHECK_OK(coatcheck_session_version(got, &version));
    CHECK(version == 0);
    CHECK_OK(coatcheck_session_remember(got, &remember));
    CHECK(!remember);

    uint64_t count = 0;
    CHECK_OK(coatcheck_store_count(store, &count));
    CHECK(count == 1);

    coatcheck_string_free(id);
    coatcheck_string_free(got_id);
    coatcheck_string_free(token);
    coatcheck_session_free(created);
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_close(&store));
}

static void set_json_then_get_json_round_trips_values(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "theme", "\"dark\""));
    CHECK_OK(coatcheck_store_set_json(store, token, "cart", "[\"tea\", 2, 1.5, true, null]"));
    CHECK_OK(coatcheck_store_set_json(store, token, "raw", "{\"$bytes\": \"AAEC\"}"));
    CHECK_OK(coatcheck_store_set_json(store, token, "caf\xc3\xa9", "{\"n\": -7}"));

    coatcheck_session *session = NULL;
    char *theme = NULL, *cart = NULL, *raw = NULL, *missing = NULL, *data = NULL, *utf8 = NULL;
    CHECK_OK(coatcheck_store_get(store, token, &session));
    CHECK_OK(coatcheck_session_get_json(session, "theme", &theme));
    CHECK_STR(theme, "\"dark\"");
    CHECK_OK(coatcheck_session_get_json(session, "cart", &cart));
    CHECK_STR(cart, "[\"tea\",2,1.5,true,null]");
    CHECK_OK(coatcheck_session_get_json(session, "raw", &raw));
    CHECK_STR(raw, "{\"$bytes\":\"AAEC\"}");
    CHECK_OK(coatcheck_session_get_json(session, "caf\xc3\xa9", &utf8));
    CHECK_STR(utf8, "{\"n\":-7}");
    CHECK_OK(coatcheck_session_get_json(session, "absent", &missing));
    CHECK(missing == NULL);
    CHECK_OK(coatcheck_session_data_json(session, &data));
    CHECK_CONTAINS(data, "\"theme\":\"dark\"");
    uint64_t version = 0;
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == 4);

    char *old = NULL;
    CHECK_OK(coatcheck_store_remove(store, token, "theme", &old));
    CHECK_STR(old, "\"dark\"");
    coatcheck_string_free(old);
    CHECK_OK(coatcheck_store_remove(store, token, "theme", &old));
    CHECK(old == NULL);
    CHECK_OK(coatcheck_store_remove(store, token, "cart", NULL));

    coatcheck_string_free(theme);
    coatcheck_string_free(cart);
    coatcheck_string_free(raw);
    coatcheck_string_free(utf8);
    coatcheck_string_free(data);
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void apply_json_changes_several_things_at_once(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "step", "1"));
    CHECK_OK(coatcheck_store_apply_json(
        store, token,
        "{\"set\": {\"theme\": \"dark\", \"n\": 3}, \"remove\": [\"step\"],"
        " \"flash\": {\"notice\": \"Saved\"}, \"remember\": true,"
        " \"lifetime\": {\"idle_ms\": 60000, \"absolute_ms\": 600000}}"));

    coatcheck_session *session = NULL;
    char *theme = NULL, *step = NULL, *flash = NULL;
    uint64_t version = 0, idle = 0;
    bool remember = false;
    size_t pending = 0;
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_get_json(session, "theme", &theme));
    CHECK_STR(theme, "\"dark\"");
    CHECK_OK(coatcheck_session_get_json(session, "step", &step));
    CHECK(step == NULL);
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == 2); /* one bump for the set, one for the whole batch */
    CHECK_OK(coatcheck_session_remember(session, &remember));
    CHECK(remember);
    CHECK_OK(coatcheck_session_idle_timeout_ms(session, &idle));
    CHECK(idle == 60000);
    CHECK_OK(coatcheck_session_pending_flash(session, &pending));
    CHECK(pending == 1);
    coatcheck_session_free(session);
    CHECK_OK(coatcheck_store_take_flash_json(store, token, &flash));
    CHECK_STR(flash, "{\"notice\":\"Saved\"}");

    /* A bad batch changes nothing, whatever is wrong in it. */
    const char *bad[] = {
        "not json",
        "{\"set\": {\"theme\": \"light\"}, \"sets\": {}}",
        "{\"set\": {\"theme\": \"light\", \"\": 1}}",
        "{\"set\": {\"theme\": \"light\"}, \"remove\": [7]}",
        "{\"set\": {\"theme\": \"light\"}, \"lifetime\": {\"idle_ms\": 9, \"absolute_ms\": 1}}",
        "{\"set\": {\"theme\": \"light\"}, \"remember\": \"no\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STATUS(coatcheck_store_apply_json(store, token, bad[i]),
                     COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_apply_json(store, token, NULL), COATCHECK_INVALID_ARGUMENT);
    char *theme_after = NULL;
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_get_json(session, "theme", &theme_after));
    CHECK_STR(theme_after, "\"dark\"");
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == 3); /* take_flash moved it; the bad batches did not */
    coatcheck_session_free(session);

    /* An ended session is not brought back. */
    CHECK_OK(coatcheck_store_logout(store, token, NULL));
    CHECK_STATUS(coatcheck_store_apply_json(store, token, "{\"set\": {\"k\": 1}}"),
                 COATCHECK_REVOKED);

    coatcheck_string_free(theme);
    coatcheck_string_free(theme_after);
    coatcheck_string_free(flash);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void create_options_set_user_data_meta_and_lifetime(void) {
    coatcheck_store *store = memory_store();
    coatcheck_create_options *options = NULL;
    coatcheck_session *session = NULL;
    CHECK_OK(coatcheck_create_options_new(&options));
    CHECK_OK(coatcheck_create_options_set_user(options, "alice"));
    CHECK_OK(coatcheck_create_options_set_data_json(options, "{\"cart\": [\"tea\"]}"));
    CHECK_OK(coatcheck_create_options_set_remember(options, true));
    CHECK_OK(coatcheck_create_options_set_meta(options, "203.0.113.7", "curl/8", NULL));
    CHECK_OK(coatcheck_store_create(store, options, &session));

    char *user = NULL, *cart = NULL, *meta = NULL;
    bool remember = false;
    CHECK_OK(coatcheck_session_user(session, &user));
    CHECK_STR(user, "alice");
    CHECK_OK(coatcheck_session_get_json(session, "cart", &cart));
    CHECK_STR(cart, "[\"tea\"]");
    CHECK_OK(coatcheck_session_remember(session, &remember));
    CHECK(remember);
    CHECK_OK(coatcheck_session_meta_json(session, &meta));
    CHECK_STR(meta, "{\"ip\":\"203.0.113.7\",\"label\":null,\"user_agent\":\"curl/8\"}");
    uint64_t idle = 0;
    CHECK_OK(coatcheck_session_idle_timeout_ms(session, &idle));
    CHECK(idle == 30ULL * 86400 * 1000);

    /* A lifetime of its own. */
    coatcheck_session *kiosk = NULL;
    CHECK_OK(coatcheck_create_options_set_lifetime_ms(options, 120000, 3600000));
    CHECK_OK(coatcheck_store_create(store, options, &kiosk));
    CHECK_OK(coatcheck_session_idle_timeout_ms(kiosk, &idle));
    CHECK(idle == 120000);

    coatcheck_string_free(user);
    coatcheck_string_free(cart);
    coatcheck_string_free(meta);
    coatcheck_session_free(session);
    coatcheck_session_free(kiosk);
    coatcheck_create_options_free(options);
    CHECK_OK(coatcheck_store_close(&store));
}

static void login_keeps_data_and_changes_token(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "cart", "[\"tea\"]"));

    coatcheck_session *signed_in = NULL, *got = NULL;
    char *new_tok = NULL, *user = NULL, *cart = NULL;
    CHECK_OK(coatcheck_store_login(store, token, "alice", &signed_in));
    CHECK_OK(coatcheck_session_token(signed_in, &new_tok));
    CHECK(new_tok != NULL && strcmp(new_tok, token) != 0);
    CHECK_OK(coatcheck_session_user(signed_in, &user));
    CHECK_STR(user, "alice");

    /* The old token stops working at once, with a reason. */
    CHECK_STATUS(coatcheck_store_get(store, token, &got), COATCHECK_REVOKED);
    CHECK(got == NULL);
    CHECK_STR(coatcheck_last_error_reason(), "rotated");
    CHECK(coatcheck_status_is_not_found(COATCHECK_REVOKED));

    /* The new one carries the cart. */
    CHECK_OK(coatcheck_store_get(store, new_tok, &got));
    CHECK_OK(coatcheck_session_get_json(got, "cart", &cart));
    CHECK_STR(cart, "[\"tea\"]");

    coatcheck_session_free(got);
    coatcheck_session_free(signed_in);
    coatcheck_string_free(cart);
    coatcheck_string_free(user);
    coatcheck_string_free(new_tok);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void regenerate_gives_a_new_token_and_keeps_data(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "n", "1"));
    coatcheck_session *fresh = NULL, *got = NULL;
    char *new_tok = NULL, *n = NULL;
    CHECK_OK(coatcheck_store_regenerate(store, token, &fresh));
    CHECK_OK(coatcheck_session_token(fresh, &new_tok));
    CHECK(new_tok != NULL && strcmp(new_tok, token) != 0);
    CHECK_STATUS(coatcheck_store_peek(store, token, &got), COATCHECK_REVOKED);
    CHECK_OK(coatcheck_store_peek(store, new_tok, &got));
    CHECK_OK(coatcheck_session_get_json(got, "n", &n));
    CHECK_STR(n, "1");
    coatcheck_string_free(n);
    coatcheck_session_free(got);
    coatcheck_session_free(fresh);
    coatcheck_string_free(new_tok);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

/* Logs `user` in on a fresh session; returns the new token. */
static char *login_new(coatcheck_store *store, const char *user) {
    char *anon = new_token(store);
    coatcheck_session *session = NULL;
    char *token = NULL;
    CHECK_OK(coatcheck_store_login(store, anon, user, &session));
    CHECK_OK(coatcheck_session_token(session, &token));
    coatcheck_session_free(session);
    coatcheck_string_free(anon);
    return token;
}

static void sessions_of_and_users_list_live_sessions(void) {
    coatcheck_store *store = memory_store();
    char *a1 = login_new(store, "alice");
    char *a2 = login_new(store, "alice");
    char *b1 = login_new(store, "bob");

    coatcheck_session_list *list = NULL;
    size_t len = 0;
    CHECK_OK(coatcheck_store_sessions_of(store, "alice", &list));
    CHECK_OK(coatcheck_session_list_len(list, &len));
    CHECK(len == 2);
    const coatcheck_session *first = NULL;
    char *user = NULL, *tok = NULL;
    CHECK_OK(coatcheck_session_list_get(list, 0, &first));
    CHECK(first != NULL);
    CHECK_OK(coatcheck_session_user(first, &user));
    CHECK_STR(user, "alice");
    CHECK_OK(coatcheck_session_token(first, &tok));
    CHECK(tok == NULL);
    CHECK_STATUS(coatcheck_session_list_get(list, 2, &first), COATCHECK_INVALID_ARGUMENT);
    CHECK(first == NULL);
    CHECK_CONTAINS(coatcheck_last_error_message(), "past the end");
    coatcheck_string_free(user);
    coatcheck_session_list_free(list);

    coatcheck_string_list *users = NULL;
    char *name = NULL;
    CHECK_OK(coatcheck_store_users(store, NULL, 10, &users));
    CHECK_OK(coatcheck_string_list_len(users, &len));
    CHECK(len == 2);
    CHECK_OK(coatcheck_string_list_get(users, 0, &name));
    CHECK_STR(name, "alice");
    coatcheck_string_free(name);
    CHECK_OK(coatcheck_string_list_get(users, 1, &name));
    CHECK_STR(name, "bob");
    coatcheck_string_free(name);
    coatcheck_string_list_free(users);
    CHECK_OK(coatcheck_store_users(store, "alice", 10, &users));
    CHECK_OK(coatcheck_string_list_len(users, &len));
    CHECK(len == 1);
    coatcheck_string_list_free(users);

    uint64_t n = 0;
    CHECK_OK(coatcheck_store_count_users(store, &n));
    CHECK(n == 2);

    coatcheck_string_free(a1);
    coatcheck_string_free(a2);
    coatcheck_string_free(b1);
    CHECK_OK(coatcheck_store_close(&store));
}

static void destroy_user_logs_out_everywhere(void) {
    coatcheck_store *store = memory_store();
    char *a1 = login_new(store, "alice");
    char *a2 = login_new(store, "alice");
    char *a3 = login_new(store, "alice");
    char *b1 = login_new(store, "bob");

    /* Log out the other devices: keep a3. */
    coatcheck_session *keep = NULL;
    char *keep_id = NULL;
    size_t ended = 0;
    CHECK_OK(coatcheck_store_get(store, a3, &keep));
    CHECK_OK(coatcheck_session_id(keep, &keep_id));
    CHECK_OK(coatcheck_store_destroy_user_except(store, "alice", keep_id, &ended));
    CHECK(ended == 2);
    coatcheck_session *got = NULL;
    CHECK_STATUS(coatcheck_store_get(store, a1, &got), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "logout_everywhere");
    CHECK_OK(coatcheck_store_get(store, a3, &got));
    coatcheck_session_free(got);

    CHECK_OK(coatcheck_store_destroy_user(store, "alice", &ended));
    CHECK(ended == 1);
    CHECK_STATUS(coatcheck_store_get(store, a3, &got), COATCHECK_REVOKED);
    CHECK_OK(coatcheck_store_get(store, b1, &got));
    coatcheck_session_free(got);

    /* Admin: by id. */
    char *b_id = NULL;
    bool was = false;
    CHECK_OK(coatcheck_store_get(store, b1, &got));
    CHECK_OK(coatcheck_session_id(got, &b_id));
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_info(store, b_id, &got));
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_destroy_id(store, b_id, &was));
    CHECK(was);
    CHECK_STATUS(coatcheck_store_info(store, b_id, &got), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "admin");
    CHECK_STATUS(coatcheck_store_info(store, "not-hex", &got), COATCHECK_INVALID_ARGUMENT);

    coatcheck_string_free(b_id);
    coatcheck_string_free(keep_id);
    coatcheck_session_free(keep);
    coatcheck_string_free(a1);
    coatcheck_string_free(a2);
    coatcheck_string_free(a3);
    coatcheck_string_free(b1);
    CHECK_OK(coatcheck_store_close(&store));
}

static void logout_ends_the_session_for_good(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    bool ended = false;
    CHECK_OK(coatcheck_store_logout(store, token, &ended));
    CHECK(ended);
    CHECK_OK(coatcheck_store_destroy(store, token, &ended));
    CHECK(!ended);
    /* No write through the old token brings it back. */
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", "1"), COATCHECK_REVOKED);
    CHECK_STR(coatcheck_last_error_reason(), "logout");
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void expiry_by_manual_clock_then_sweep(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    char *kept = new_token(store);
    coatcheck_session *got = NULL;

    CHECK_OK(coatcheck_store_advance_clock_ms(store, 20 * 60 * 1000));
    CHECK_OK(coatcheck_store_get(store, kept, &got)); /* used within the idle timeout */
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_advance_clock_ms(store, 11 * 60 * 1000));

    CHECK_STATUS(coatcheck_store_get(store, token, &got), COATCHECK_EXPIRED);
    CHECK(got == NULL);
    CHECK_CONTAINS(coatcheck_last_error_message(), "expired");
    CHECK(coatcheck_status_is_not_found(COATCHECK_EXPIRED));

    size_t removed = 0;
    uint64_t count = 0;
    CHECK_OK(coatcheck_store_sweep(store, &removed));
    CHECK(removed == 1);
    CHECK_STATUS(coatcheck_store_get(store, token, &got), COATCHECK_NOT_FOUND);
    CHECK_OK(coatcheck_store_count(store, &count));
    CHECK(count == 1);
    CHECK_OK(coatcheck_store_get(store, kept, &got));
    coatcheck_session_free(got);

    coatcheck_string_free(token);
    coatcheck_string_free(kept);
    CHECK_OK(coatcheck_store_close(&store));
}

static void per_session_lifetime_expires_early(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    coatcheck_session *got = NULL;
    CHECK_OK(coatcheck_store_set_lifetime_ms(store, token, 1000, 5000));
    CHECK_OK(coatcheck_store_advance_clock_ms(store, 1001));
    CHECK_STATUS(coatcheck_store_get(store, token, &got), COATCHECK_EXPIRED);
    CHECK_STATUS(coatcheck_store_set_lifetime_ms(store, token, 5000, 1000),
                 COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "shorter than the idle timeout");
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void flash_values_are_read_once(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    char *flash = NULL;
    CHECK_OK(coatcheck_store_flash_json(store, token, "notice", "\"Welcome back!\""));
    CHECK_OK(coatcheck_store_take_flash_json(store, token, &flash));
    CHECK_STR(flash, "{\"notice\":\"Welcome back!\"}");
    coatcheck_string_free(flash);
    CHECK_OK(coatcheck_store_take_flash_json(store, token, &flash));
    CHECK_STR(flash, "{}");
    coatcheck_string_free(flash);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void replace_if_reports_conflict_when_version_moved(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    uint64_t version = 0;
    CHECK_OK(coatcheck_store_replace_if_json(store, token, 0, "{\"a\": 1}", &version));
    CHECK(version == 1);
    CHECK_STATUS(coatcheck_store_replace_if_json(store, token, 0, "{\"a\": 2}", &version),
                 COATCHECK_CONFLICT);
    CHECK(version == 0);
    CHECK_CONTAINS(coatcheck_last_error_message(), "version");
    CHECK_STATUS(coatcheck_store_replace_if_json(store, token, 1, "[1]", &version),
                 COATCHECK_INVALID_ARGUMENT);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void remember_and_meta_can_change_later(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    coatcheck_session *got = NULL;
    bool remember = false;
    char *meta = NULL;
    CHECK_OK(coatcheck_store_set_remember(store, token, true));
    CHECK_OK(coatcheck_store_set_meta(store, token, NULL, NULL, "laptop"));
    CHECK_OK(coatcheck_store_peek(store, token, &got));
    CHECK_OK(coatcheck_session_remember(got, &remember));
    CHECK(remember);
    CHECK_OK(coatcheck_session_meta_json(got, &meta));
    CHECK_CONTAINS(meta, "\"label\":\"laptop\"");
    coatcheck_string_free(meta);
    coatcheck_session_free(got);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void file_store_keeps_sessions_across_reopen(void) {
    char path[512];
    temp_store_path(path, sizeof path, "reopen");
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    char *token = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, token, "k", "\"v\""));
    CHECK_OK(coatcheck_store_flush(store));
    char *stats = NULL;
    CHECK_OK(coatcheck_store_stats_json(store, &stats));
    CHECK_CONTAINS(stats, "\"sessions\":1");
    coatcheck_string_free(stats);
    CHECK_OK(coatcheck_store_close(&store));
    CHECK(store == NULL);

    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    coatcheck_session *got = NULL;
    char *v = NULL;
    CHECK_OK(coatcheck_store_get(store, token, &got));
    CHECK_OK(coatcheck_session_get_json(got, "k", &v));
    CHECK_STR(v, "\"v\"");
    coatcheck_string_free(v);
    coatcheck_session_free(got);
    CHECK_OK(coatcheck_store_close(&store));
    coatcheck_string_free(token);
    remove(path);
}

int main(void) {
    RUN(create_then_get_returns_the_session);
    RUN(set_json_then_get_json_round_trips_values);
    RUN(apply_json_changes_several_things_at_once);
    RUN(create_options_set_user_data_meta_and_lifetime);
    RUN(login_keeps_data_and_changes_token);
    RUN(regenerate_gives_a_new_token_and_keeps_data);
    RUN(sessions_of_and_users_list_live_sessions);
    RUN(destroy_user_logs_out_everywhere);
    RUN(logout_ends_the_session_for_good);
    RUN(expiry_by_manual_clock_then_sweep);
    RUN(per_session_lifetime_expires_early);
    RUN(flash_values_are_read_once);
    RUN(replace_if_reports_conflict_when_version_moved);
    RUN(remember_and_meta_can_change_later);
    RUN(file_store_keeps_sessions_across_reopen);
    return finish("test_sessions");
}
