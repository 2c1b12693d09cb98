/* Eight threads share one store: every call is atomic, no update is lost,
 * and each thread has its own last error. */
#include <pthread.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 10

struct worker {
    coatcheck_store *store;
    const char *shared_token;
    int index;
    int failures;
    char message[256];
};

static void *work(void *arg) {
    struct worker *w = arg;
    char key[32], value[32], user[32];
    snprintf(user, sizeof user, "user-%d", w->index % 3);
    for (int round = 0; round < ROUNDS; round++) {
        /* Different keys of one shared session: all must survive. */
        snprintf(key, sizeof key, "t%d-r%d", w->index, round);
        snprintf(value, sizeof value, "%d", round);
        if (coatcheck_store_set_json(w->store, w->shared_token, key, value) != COATCHECK_OK)
            w->failures++;

        /* A session of its own, logged in, read back, logged out. */
        coatcheck_session *session = NULL, *signed_in = NULL, *got = NULL;
        char *token = NULL, *user_token = NULL, *got_value = NULL;
        if (coatcheck_store_create(w->store, NULL, &session) != COATCHECK_OK ||
            coatcheck_session_token(session, &token) != COATCHECK_OK ||
            coatcheck_store_set_json(w->store, token, "round", value) != COATCHECK_OK ||
            coatcheck_store_login(w->store, token, user, &signed_in) != COATCHECK_OK ||
            coatcheck_session_token(signed_in, &user_token) != COATCHECK_OK ||
            coatcheck_store_get(w->store, user_token, &got) != COATCHECK_OK ||
            coatcheck_session_get_json(got, "round", &got_value) != COATCHECK_OK ||
            got_value == NULL || strcmp(got_value, value) != 0 ||
            coatcheck_store_logout(w->store, user_token, NULL) != COATCHECK_OK) {
            w->failures++;
        }
        /* This thread's own failure, and its own message. */
        coatcheck_session *none = NULL;
        if (coatcheck_store_get(w->store, user_token, &none) != COATCHECK_REVOKED ||
            strstr(coatcheck_last_error_message(), "revoked") == NULL)
            w->failures++;
        snprintf(w->message, sizeof w->message, "%s", coatcheck_last_error_message());
        coatcheck_string_free(got_value);
        coatcheck_string_free(user_token);
        coatcheck_string_free(token);
        coatcheck_session_free(got);
        coatcheck_session_free(signed_in);
        coatcheck_session_free(session);
    }
    return NULL;
}

static void eight_threads_share_one_store_without_lost_updates(void) {
    char path[512];
    temp_store_path(path, sizeof path, "threads");
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_store_open(path, options, &store));
    coatcheck_options_free(options);
    char *shared = new_token(store);

    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.store = store, .shared_token = shared, .index = i};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failures == 0);
        CHECK_CONTAINS(workers[i].message, "revoked");
    }

    coatcheck_session *session = NULL;
    uint64_t version = 0, count = 0;
    CHECK_OK(coatcheck_store_get(store, shared, &session));
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == THREADS * ROUNDS);
    char *last = NULL;
    CHECK_OK(coatcheck_session_get_json(session, "t7-r9", &last));
    CHECK_STR(last, "9");
    coatcheck_string_free(last);
    coatcheck_session_free(session);
    CHECK_OK(coatcheck_store_count(store, &count));
    CHECK(count == 1);

    coatcheck_string_free(shared);
    CHECK_OK(coatcheck_store_close(&store));
    remove(path);
}

struct applier {
    coatcheck_store *store;
    const char *token;
    int index;
    int failures;
};

static void *apply_batches(void *arg) {
    struct applier *a = arg;
    char batch[128];
    for (int round = 0; round < ROUNDS; round++) {
        snprintf(batch, sizeof batch, "{\"set\": {\"a%d\": %d, \"b%d\": %d}}", a->index, round,
                 a->index, round * 10);
        if (coatcheck_store_apply_json(a->store, a->token, batch) != COATCHECK_OK)
            a->failures++;
    }
    return NULL;
}

static void two_concurrent_applies_on_different_keys_both_survive(void) {
    coatcheck_store *store = memory_store();
    char *token = new_token(store);
    pthread_t threads[2];
    struct applier appliers[2];
    for (int i = 0; i < 2; i++) {
        appliers[i] = (struct applier){.store = store, .token = token, .index = i};
        CHECK(pthread_create(&threads[i], NULL, apply_batches, &appliers[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(appliers[i].failures == 0);
    }
    coatcheck_session *session = NULL;
    char *a0 = NULL, *b1 = NULL;
    uint64_t version = 0;
    CHECK_OK(coatcheck_store_peek(store, token, &session));
    CHECK_OK(coatcheck_session_get_json(session, "a0", &a0));
    CHECK_STR(a0, "9");
    CHECK_OK(coatcheck_session_get_json(session, "b1", &b1));
    CHECK_STR(b1, "90");
    CHECK_OK(coatcheck_session_version(session, &version));
    CHECK(version == 2 * ROUNDS);
    coatcheck_string_free(a0);
    coatcheck_string_free(b1);
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    CHECK_OK(coatcheck_store_close(&store));
}

int main(void) {
    RUN(eight_threads_share_one_store_without_lost_updates);
    RUN(two_concurrent_applies_on_different_keys_both_survive);
    return finish("test_threads");
}
