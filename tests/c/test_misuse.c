/* C-specific misuse: NULL arguments, bad UTF-8, invalid JSON, double close,
 * the error message after a failure, a second open of one file. */
#include "check.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void statuses_have_fixed_numbers_and_names(void) {
    CHECK(COATCHECK_OK == 0);
    CHECK(COATCHECK_NOT_FOUND == 1 && COATCHECK_EXPIRED == 2 && COATCHECK_REVOKED == 3);
    CHECK(COATCHECK_TOKEN_REUSE == 4 && COATCHECK_CONFLICT == 5 && COATCHECK_INVALID_TOKEN == 6);
    CHECK(COATCHECK_INVALID_ARGUMENT == 7 && COATCHECK_LOCKED == 8 && COATCHECK_CORRUPT == 9);
    CHECK(COATCHECK_IO == 10 && COATCHECK_STORAGE == 11 && COATCHECK_INTERNAL == 12);
    CHECK_STR(coatcheck_status_name(COATCHECK_OK), "COATCHECK_OK");
    CHECK_STR(coatcheck_status_name(COATCHECK_TOKEN_REUSE), "COATCHECK_TOKEN_REUSE");
    CHECK_STR(coatcheck_status_name(-1), "COATCHECK_UNKNOWN");
    CHECK(!coatcheck_status_is_not_found(COATCHECK_CONFLICT));
    CHECK(coatcheck_status_is_not_found(COATCHECK_NOT_FOUND));
}

static void version_and_abi_match_the_header(void) {
    CHECK(coatcheck_abi_version() == COATCHECK_ABI_VERSION);
    const char *version = coatcheck_version();
    CHECK(version != NULL && strchr(version, '.') != NULL);
}

static void null_arguments_are_invalid_not_crashes(void) {
    coatcheck_store *store = memory_store();
    coatcheck_session *session = (coatcheck_session *)&store; /* garbage: must be reset */
    char *text = (char *)"garbage";

    CHECK_STATUS(coatcheck_store_get(NULL, "token", &session), COATCHECK_INVALID_ARGUMENT);
    CHECK(session == NULL); /* outputs are reset on entry */
    CHECK_CONTAINS(coatcheck_last_error_message(), "store is NULL");
    CHECK_STATUS(coatcheck_store_get(store, NULL, &session), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "token is NULL");
    CHECK_STATUS(coatcheck_store_get(store, "token", NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "out is NULL");
    CHECK_STATUS(coatcheck_store_create(store, NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    coatcheck_store *other = store;
    CHECK_STATUS(coatcheck_store_open(NULL, NULL, &other), COATCHECK_INVALID_ARGUMENT);
    CHECK(other == NULL);

    char *token = new_token(store);
    CHECK_STATUS(coatcheck_store_set_json(store, token, NULL, "1"), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "value_json is NULL");
    CHECK_STATUS(coatcheck_store_login(store, token, NULL, &session), COATCHECK_INVALID_ARGUMENT);
    CHECK(session == NULL);
    CHECK_STATUS(coatcheck_store_take_flash_json(store, token, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_sessions_of(store, NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_count(NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_flush(NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_sweep(NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_destroy_id(store, NULL, NULL), COATCHECK_INVALID_ARGUMENT);

    CHECK_STATUS(coatcheck_session_id(NULL, &text), COATCHECK_INVALID_ARGUMENT);
    CHECK(text == NULL);
    CHECK_STATUS(coatcheck_session_get_json(NULL, "k", &text), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_session_version(NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_session_list_len(NULL, NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_string_list_get(NULL, 0, &text), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_options_set_idle_timeout_ms(NULL, 1), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_options_new(NULL), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_create_options_set_user(NULL, "x"), COATCHECK_INVALID_ARGUMENT);

    /* Every destructor takes NULL. */
    coatcheck_string_free(NULL);
    coatcheck_session_free(NULL);
    coatcheck_session_list_free(NULL);
    coatcheck_string_list_free(NULL);
    coatcheck_options_free(NULL);
    coatcheck_create_options_free(NULL);
    CHECK_OK(coatcheck_store_close(NULL));

    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void bad_utf8_is_an_invalid_argument(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    const char *latin1 = "caf\xe9";     /* not UTF-8 */
    const char *overlong = "\xc0\xaf";  /* overlong '/' */
    coatcheck_session *session = NULL;

    CHECK_STATUS(coatcheck_store_set_json(store, token, latin1, "1"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "key is not valid UTF-8");
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", "\"\xff\""), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_get(store, overlong, &session), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_login(store, token, latin1, &session), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_sessions_of(store, latin1, NULL), COATCHECK_INVALID_ARGUMENT);

    coatcheck_options *options = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_STATUS(coatcheck_options_set_token_prefix(options, latin1), COATCHECK_INVALID_ARGUMENT);
    coatcheck_options_free(options);

    /* Nothing changed. */
    uint64_t version = 1;
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == 0);
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void invalid_json_is_an_invalid_argument_and_changes_nothing(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", "{not json"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "set: invalid argument: invalid JSON");
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", ""), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", "1 2"), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_set_json(store, token, "k", "18446744073709551615"),
                 COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_store_flash_json(store, token, "k", "[1,"), COATCHECK_INVALID_ARGUMENT);

    coatcheck_create_options *options = NULL;
    CHECK_OK(coatcheck_create_options_new(&options));
    CHECK_STATUS(coatcheck_create_options_set_data_json(options, "[1, 2]"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "JSON object");
    coatcheck_create_options_free(options);

    coatcheck_session *session = NULL;
    char *data = NULL;
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_data_json(session, &data));
    CHECK_STR(data, "{}");
    coatcheck_string_free(data);
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void malformed_tokens_are_invalid_token(void) {
    coatcheck_store *store = memory_store();
    coatcheck_session *session = NULL;
    CHECK_STATUS(coatcheck_store_get(store, "", &session), COATCHECK_INVALID_TOKEN);
    CHECK_STATUS(coatcheck_store_get(store, "has spaces in it", &session), COATCHECK_INVALID_TOKEN);
    CHECK_CONTAINS(coatcheck_last_error_message(), "get: invalid token");
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_STATUS(coatcheck_store_get(store, big, &session), COATCHECK_INVALID_TOKEN);
    /* Well formed but unknown. */
    CHECK_STATUS(coatcheck_store_get(store, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &session),
                 COATCHECK_NOT_FOUND);
    CHECK_OK(coatcheck_store_close(&store));
}

static void double_close_is_guarded(void) {
    coatcheck_store *store = memory_store();
    coatcheck_store *alias = store;
    CHECK_OK(coatcheck_store_close(&store));
    CHECK(store == NULL);
    CHECK_OK(coatcheck_store_close(&store)); /* no-op: the handle was cleared */
    (void)alias;                             /* a copy of the pointer dangles, as with free() */
}

static void last_error_message_survives_success_and_is_per_call(void) {
    coatcheck_store *store = memory_store();
    coatcheck_session *session = NULL;
    CHECK_STATUS(coatcheck_store_get(store, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &session),
                 COATCHECK_NOT_FOUND);
    char saved[256];
    snprintf(saved, sizeof saved, "%s", coatcheck_last_error_message());
    CHECK_STR(saved, "get: no session with this token or id");
    CHECK(coatcheck_last_error_reason() == NULL);
    /* A successful call leaves it (like errno)... */
    char *token = new_token(store);
    CHECK_STR(coatcheck_last_error_message(), saved);
    /* ...the next failure replaces it, and never shows the token. */
    CHECK_STATUS(coatcheck_store_set_json(store, token, "", "1"), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "set: invalid argument");
    CHECK(strstr(coatcheck_last_error_message(), token) == NULL);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void second_open_of_one_file_is_locked(void) {
    char path[512];
    temp_store_path(path, sizeof path, "locked");
    coatcheck_store *first = NULL, *second = (coatcheck_store *)&path;
    CHECK_OK(coatcheck_store_open(path, NULL, &first));
    CHECK_STATUS(coatcheck_store_open(path, NULL, &second), COATCHECK_LOCKED);
    CHECK(second == NULL);
    CHECK_CONTAINS(coatcheck_last_error_message(), path);
    CHECK_CONTAINS(coatcheck_last_error_message(), "coatcheck_options_set_shared");
    CHECK_OK(coatcheck_store_close(&first));
    /* Released by close. */
    CHECK_OK(coatcheck_store_open(path, NULL, &second));
    CHECK_OK(coatcheck_store_close(&second));
    remove(path);
}

static void out_of_range_options_name_the_knob(void) {
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_token_bytes(options, 8));
    CHECK_STATUS(coatcheck_store_open_in_memory(options, &store), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "token_bytes");
    CHECK_OK(coatcheck_options_set_token_bytes(options, 32));
    CHECK_STATUS(coatcheck_options_set_ttl_basis(options, 7), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_options_set_durability(options, 9, 0), COATCHECK_INVALID_ARGUMENT);
    CHECK_STATUS(coatcheck_options_set_access_key(options, NULL, 4), COATCHECK_INVALID_ARGUMENT);
    CHECK_OK(coatcheck_options_set_access_key(options, (const uint8_t *)"short", 5));
    CHECK_STATUS(coatcheck_store_open_in_memory(options, &store), COATCHECK_INVALID_ARGUMENT);
    CHECK_CONTAINS(coatcheck_last_error_message(), "access_key");
    CHECK_OK(coatcheck_options_set_access_key(options, NULL, 0));

    /* Every knob has a setter; a sane set opens. */
    CHECK_OK(coatcheck_options_set_idle_timeout_ms(options, 15 * 60 * 1000));
    CHECK_OK(coatcheck_options_set_absolute_timeout_ms(options, 12 * 3600 * 1000));
    CHECK_OK(coatcheck_options_set_remember_idle_timeout_ms(options, 7ULL * 86400 * 1000));
    CHECK_OK(coatcheck_options_set_remember_absolute_timeout_ms(options, 30ULL * 86400 * 1000));
    CHECK_OK(coatcheck_options_set_ttl_basis(options, COATCHECK_TTL_LAST_UPDATE));
    CHECK_OK(coatcheck_options_set_touch_interval_ms(options, 1000));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_options_set_sweep_batch(options, 100));
    CHECK_OK(coatcheck_options_set_durability(options, COATCHECK_DURABILITY_PERIODIC, 200));
    CHECK_OK(coatcheck_options_set_cache_capacity(options, 10));
    CHECK_OK(coatcheck_options_set_max_sessions_per_user(options, 3));
    CHECK_OK(coatcheck_options_set_max_value_bytes(options, 4096));
    CHECK_OK(coatcheck_options_set_token_prefix(options, "cc_"));
    CHECK_OK(coatcheck_options_set_token_timestamp(options, true));
    CHECK_OK(coatcheck_options_set_regenerate_on_login(options, false));
    CHECK_OK(coatcheck_options_set_destroy_when_empty(options, true));
    CHECK_OK(coatcheck_options_set_destroy_when_empty(options, false));
    CHECK_OK(coatcheck_options_set_access_ttl_ms(options, 60000));
    CHECK_OK(coatcheck_options_set_refresh_ttl_ms(options, 3600000));
    CHECK_OK(coatcheck_options_set_refresh_grace_ms(options, 5000));
    CHECK_OK(coatcheck_store_open_in_memory(options, &store));
    coatcheck_options_free(options);

    char *token = new_token(store);
    CHECK(strncmp(token, "cc_", 3) == 0);
    /* No manual clock on this store. */
    CHECK_STATUS(coatcheck_store_advance_clock_ms(store, 1), COATCHECK_INVALID_ARGUMENT);
    /* max_value_bytes is enforced. */
    char big[6000];
    memset(big, 'x', sizeof big);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    CHECK_STATUS(coatcheck_store_set_json(store, token, "big", big), COATCHECK_INVALID_ARGUMENT);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

static void calls_on_a_closed_store_are_refused(void) {
    /* Through C the handle is gone after close; a store opened twice from
     * the same options is two stores. This checks the closed-store path of
     * the core through a store whose file was taken away by close. */
    char path[512];
    temp_store_path(path, sizeof path, "closed");
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    CHECK_OK(coatcheck_store_close(&store));
    coatcheck_session *session = NULL;
    CHECK_STATUS(coatcheck_store_create(store, NULL, &session), COATCHECK_INVALID_ARGUMENT);
    remove(path);
}

static void a_forked_child_is_refused_even_for_cached_reads(void) {
    /* gunicorn --preload in C: a store opened before fork() must never be
     * used by the child. The child reports through a pipe (its own exit code
     * would carry valgrind's verdict on the handle it must leak). */
    char path[512];
    temp_store_path(path, sizeof path, "forked");
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    char *token = new_token(store);
    coatcheck_session *session = NULL;
    CHECK_OK(coatcheck_store_get(store, token, &session)); /* now cached */
    coatcheck_session_free(session);

    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        coatcheck_session *in_child = NULL;
        coatcheck_status status = coatcheck_store_get(store, token, &in_child);
        const char *message = coatcheck_last_error_message();
        char verdict = (status == COATCHECK_STORAGE && in_child == NULL && message != NULL &&
                        strstr(message, "fork()") != NULL)
                           ? 'y'
                           : 'n';
        ssize_t written = write(fds[1], &verdict, 1);
        _exit(written == 1 ? 0 : 1);
    }
    close(fds[1]);
    char verdict = '?';
    CHECK(read(fds[0], &verdict, 1) == 1);
    close(fds[0]);
    int wstatus = 0;
    CHECK(waitpid(child, &wstatus, 0) == child);
    CHECK(verdict == 'y');

    /* The parent's store is untouched. */
    CHECK_OK(coatcheck_store_get(store, token, &session));
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
    remove(path);
}

int main(void) {
    RUN(statuses_have_fixed_numbers_and_names);
    RUN(version_and_abi_match_the_header);
    RUN(null_arguments_are_invalid_not_crashes);
    RUN(bad_utf8_is_an_invalid_argument);
    RUN(invalid_json_is_an_invalid_argument_and_changes_nothing);
    RUN(malformed_tokens_are_invalid_token);
    RUN(double_close_is_guarded);
    RUN(last_error_message_survives_success_and_is_per_call);
    RUN(second_open_of_one_file_is_locked);
    RUN(out_of_range_options_name_the_knob);
    RUN(calls_on_a_closed_store_are_refused);
    RUN(a_forked_child_is_refused_even_for_cached_reads);
    return finish("test_misuse");
}
