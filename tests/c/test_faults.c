/* Faults a C server meets: a full disk (a file-size limit, RLIMIT_FSIZE,
 * stands in for it: writes past it fail with EFBIG, as ENOSPC would), and
 * recovery once space returns, without closing or reopening the store. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "check.h"

static char *value_of(coatcheck_store *store, const char *token, const char *key) {
    coatcheck_session *session = NULL;
    char *json = NULL;
    if (coatcheck_store_get(store, token, &session) != COATCHECK_OK) return NULL;
    coatcheck_session_get_json(session, key, &json);
    coatcheck_session_free(session);
    return json;
}

static void a_full_disk_fails_writes_with_io_and_they_resume_when_space_returns(void) {
    char path[512];
    temp_store_path(path, sizeof path, "full-disk");
    /* No read cache: every read below goes to the file. */
    coatcheck_options *options = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_cache_capacity(options, 0));
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(path, options, &store));
    char *kept = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, kept, "cart", "[1,2,3]"));

    /* A big value, so that a few writes grow the file. */
    static char big[20000];
    big[0] = '"';
    memset(big + 1, 'x', sizeof big - 3);
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';

    struct stat st;
    CHECK(stat(path, &st) == 0);
    struct rlimit before;
    CHECK(getrlimit(RLIMIT_FSIZE, &before) == 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit full = before;
    full.rlim_cur = (rlim_t)st.st_size + 1024 * 1024;
    CHECK(setrlimit(RLIMIT_FSIZE, &full) == 0);

    /* Write until the "disk" is full. */
    char *tokens[400];
    int acknowledged = 0;
    coatcheck_status failed = COATCHECK_OK;
    for (int i = 0; i < 400 && failed == COATCHECK_OK; i++) {
        char *token = new_token(store);
        failed = coatcheck_store_set_json(store, token, "big", big);
        if (failed == COATCHECK_OK) {
            tokens[acknowledged++] = token;
        } else {
            coatcheck_string_free(token);
        }
    }
    CHECK_STATUS(failed, COATCHECK_IO);
    CHECK(acknowledged > 0);
    /* While it stays full, writes keep failing with IO (never a STORAGE latch),
     * and reads keep working. */
    for (int round = 0; round < 3; round++) {
        CHECK_STATUS(coatcheck_store_set_json(store, kept, "big", big), COATCHECK_IO);
        char *cart = value_of(store, kept, "cart");
        CHECK_STR(cart, "[1,2,3]");
        coatcheck_string_free(cart);
        char *first = value_of(store, tokens[0], "big");
        CHECK(first != NULL && strcmp(first, big) == 0);
        coatcheck_string_free(first);
    }
    char *cart = NULL;

    /* Space returns: the same store writes again. */
    CHECK(setrlimit(RLIMIT_FSIZE, &before) == 0);
    CHECK_OK(coatcheck_store_set_json(store, kept, "after", "true"));
    char *more = new_token(store);
    CHECK_OK(coatcheck_store_set_json(store, more, "big", big));
    signal(SIGXFSZ, old_handler);

    /* Every acknowledged write is there, in this store and after a reopen. */
    for (int i = 0; i < acknowledged; i++) {
        char *got = value_of(store, tokens[i], "big");
        CHECK(got != NULL && strcmp(got, big) == 0);
        coatcheck_string_free(got);
    }
    CHECK_OK(coatcheck_store_close(&store));
    CHECK_OK(coatcheck_store_open(path, options, &store));
    coatcheck_options_free(options);
    cart = value_of(store, kept, "cart");
    CHECK_STR(cart, "[1,2,3]");
    coatcheck_string_free(cart);
    char *after = value_of(store, kept, "after");
    CHECK_STR(after, "true");
    coatcheck_string_free(after);
    for (int i = 0; i < acknowledged; i++) {
        char *got = value_of(store, tokens[i], "big");
        CHECK(got != NULL && strcmp(got, big) == 0);
        coatcheck_string_free(got);
        coatcheck_string_free(tokens[i]);
    }
    coatcheck_string_free(more);
    coatcheck_string_free(kept);
    CHECK_OK(coatcheck_store_close(&store));
    remove(path);
}

/* Reads the whole file at `path`; *len gets its size. */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    *len = fread(bytes, 1, (size_t)size, f);
    fclose(f);
    return bytes;
}

static void write_file(const char *path, const unsigned char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
}

static void check_finds_a_damaged_record_and_repair_salvages_the_rest(void) {
    char path[512];
    temp_store_path(path, sizeof path, "check-repair");
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    char *tokens[10];
    for (int i = 0; i < 10; i++) {
        tokens[i] = new_token(store);
        char value[64];
        snprintf(value, sizeof value, "\"rec-%02d-padding-padding\"", i);
        CHECK_OK(coatcheck_store_set_json(store, tokens[i], "text", value));
    }
    char *report = NULL;
    CHECK_OK(coatcheck_store_check_json(store, &report));
    CHECK_CONTAINS(report, "\"problems\":[]");
    CHECK_CONTAINS(report, "\"sessions\":10");
    coatcheck_string_free(report);
    CHECK_OK(coatcheck_store_close(&store));

    /* One flipped byte inside the record of session 4. */
    size_t len = 0;
    unsigned char *bytes = read_file(path, &len);
    CHECK(bytes != NULL);
    const char *needle = "rec-04-padding-padding";
    size_t n = strlen(needle), at = 0;
    while (at + n <= len && memcmp(bytes + at, needle, n) != 0) at++;
    CHECK(at + n <= len);
    bytes[at + 5] ^= 0x02;
    write_file(path, bytes, len);
    free(bytes);

    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    coatcheck_session *session = NULL;
    CHECK_STATUS(coatcheck_store_get(store, tokens[4], &session), COATCHECK_CORRUPT);
    CHECK_OK(coatcheck_store_check_json(store, &report));
    CHECK_CONTAINS(report, "\"damaged_records\":1");
    coatcheck_string_free(report);
    CHECK_OK(coatcheck_store_close(&store));

    CHECK_OK(coatcheck_store_repair(path, NULL, &report));
    CHECK_CONTAINS(report, "\"was_sound\":false");
    CHECK_CONTAINS(report, "\"salvaged\":9");
    CHECK_CONTAINS(report, ".damaged-");
    const char *copy = report ? strstr(report, "\"damaged_copy\":\"") : NULL;
    if (copy != NULL) {
        char damaged[600];
        copy += strlen("\"damaged_copy\":\"");
        size_t k = 0;
        while (copy[k] != '"' && copy[k] != '\0' && k + 1 < sizeof damaged) {
            damaged[k] = copy[k];
            k++;
        }
        damaged[k] = '\0';
        CHECK(remove(damaged) == 0); /* the original, kept aside */
    }
    coatcheck_string_free(report);

    CHECK_OK(coatcheck_store_open(path, NULL, &store));
    CHECK_STATUS(coatcheck_store_get(store, tokens[4], &session), COATCHECK_NOT_FOUND);
    for (int i = 0; i < 10; i++) {
        if (i != 4) {
            char *text = value_of(store, tokens[i], "text");
            char expected[64];
            snprintf(expected, sizeof expected, "\"rec-%02d-padding-padding\"", i);
            CHECK_STR(text, expected);
            coatcheck_string_free(text);
        }
        coatcheck_string_free(tokens[i]);
    }
    CHECK_OK(coatcheck_store_check_json(store, &report));
    CHECK_CONTAINS(report, "\"problems\":[]");
    coatcheck_string_free(report);
    CHECK_OK(coatcheck_store_close(&store));
    CHECK_OK(coatcheck_store_repair(path, NULL, &report));
    CHECK_CONTAINS(report, "\"was_sound\":true");
    coatcheck_string_free(report);
    remove(path);
}

int main(void) {
    RUN(a_full_disk_fails_writes_with_io_and_they_resume_when_space_returns);
    RUN(check_finds_a_damaged_record_and_repair_salvages_the_rest);
    return finish("test_faults");
}
