/* Shared mode through the C face: two processes, each opening the same file
 * itself (fork() comes BEFORE any store is opened, as in a prefork server
 * whose workers open the store), see each other's writes, rotations and
 * logouts at once. */
#include <stdarg.h>
#include <sys/wait.h>

#include "check.h"

/* Options for one worker: shared mode, no background sweeper. */
static coatcheck_store *open_shared(const char *path) {
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_shared(options, true));
    CHECK_OK(coatcheck_options_set_sweep_interval_ms(options, 0));
    CHECK_OK(coatcheck_store_open(path, options, &store));
    coatcheck_options_free(options);
    return store;
}

/* One line over a pipe, and back. */
static void send_line(int fd, const char *fmt, ...) {
    char line[512];
    va_list args;
    va_start(args, fmt);
    int len = vsnprintf(line, sizeof line - 1, fmt, args);
    va_end(args);
    CHECK(len > 0 && (size_t)len < sizeof line - 1);
    line[len] = '\n';
    CHECK(write(fd, line, (size_t)len + 1) == len + 1);
}

/* Reads up to a newline (dropped); returns false at end of file. */
static bool read_line(int fd, char *buf, size_t cap) {
    size_t used = 0;
    while (used + 1 < cap) {
        char c;
        if (read(fd, &c, 1) != 1) break;
        if (c == '\n') {
            buf[used] = '\0';
            return true;
        }
        buf[used++] = c;
    }
    buf[used] = '\0';
    return false;
}

/* The value of `key` in the session `token` names, as JSON (caller frees),
 * or NULL if the get fails. */
static char *value_of(coatcheck_store *store, const char *token, const char *key) {
    coatcheck_session *session = NULL;
    char *json = NULL;
    if (coatcheck_store_get(store, token, &session) == COATCHECK_OK) {
        CHECK_OK(coatcheck_session_get_json(session, key, &json));
    }
    coatcheck_session_free(session);
    return json;
}

/* The second worker: reads the first one's session, writes a key, checks
 * the rotation and logs out. Its exit code is its number of failed checks. */
static void second_worker(const char *path, int from_first, int to_first) {
    char line[512];
    CHECK(read_line(from_first, line, sizeof line) && strcmp(line, "open") == 0);
    coatcheck_store *store = open_shared(path);
    send_line(to_first, "ready");

    char token[256];
    CHECK(read_line(from_first, token, sizeof token));
    char *cart = value_of(store, token, "cart");
    CHECK_STR(cart, "[\"tea\"]");
    coatcheck_string_free(cart);
    CHECK_OK(coatcheck_store_set_json(store, token, "theme", "\"dark\""));
    send_line(to_first, "set");

    char rotated[256];
    CHECK(read_line(from_first, rotated, sizeof rotated));
    coatcheck_session *session = NULL;
    /* The old token died in the other process: refused here at once. */
    CHECK_STATUS(coatcheck_store_get(store, token, &session), COATCHECK_REVOKED);
    CHECK(session == NULL);
    CHECK_OK(coatcheck_store_get(store, rotated, &session));
    char *user = NULL;
    CHECK_OK(coatcheck_session_user(session, &user));
    CHECK_STR(user, "ada");
    coatcheck_string_free(user);
    char *theme = NULL;
    CHECK_OK(coatcheck_session_get_json(session, "theme", &theme));
    CHECK_STR(theme, "\"dark\"");
    coatcheck_string_free(theme);
    coatcheck_session_free(session);

    bool ended = false;
    CHECK_OK(coatcheck_store_logout(store, rotated, &ended));
    CHECK(ended);
    send_line(to_first, "logged-out");

    CHECK(read_line(from_first, line, sizeof line) && strcmp(line, "bye") == 0);
    CHECK_OK(coatcheck_store_close(&store));
}

static void two_processes_share_one_file(void) {
    char path[512];
    temp_store_path(path, sizeof path, "shared");
    int to_second[2], to_first[2];
    CHECK(pipe(to_second) == 0 && pipe(to_first) == 0);
    fflush(NULL);
    pid_t child = fork(); /* before any store exists */
    CHECK(child >= 0);
    if (child == 0) {
        close(to_second[1]);
        close(to_first[0]);
        checks_failed_in_test = 0;
        second_worker(path, to_second[0], to_first[1]);
        fflush(NULL);
        _exit(checks_failed_in_test > 100 ? 100 : checks_failed_in_test);
    }
    close(to_second[0]);
    close(to_first[1]);
    int out = to_second[1], in = to_first[0];
    char line[512];

    coatcheck_store *store = open_shared(path);
    send_line(out, "open"); /* both hold the file open from here on */
    CHECK(read_line(in, line, sizeof line) && strcmp(line, "ready") == 0);

    coatcheck_create_options *create = NULL;
    CHECK_OK(coatcheck_create_options_new(&create));
    CHECK_OK(coatcheck_create_options_set_data_json(create, "{\"cart\": [\"tea\"]}"));
    coatcheck_session *session = NULL;
    CHECK_OK(coatcheck_store_create(store, create, &session));
    coatcheck_create_options_free(create);
    char *token = NULL;
    CHECK_OK(coatcheck_session_token(session, &token));
    coatcheck_session_free(session);
    send_line(out, "%s", token);

    /* The other process's write is seen on the very next read. */
    CHECK(read_line(in, line, sizeof line) && strcmp(line, "set") == 0);
    char *theme = value_of(store, token, "theme");
    CHECK_STR(theme, "\"dark\"");
    coatcheck_string_free(theme);

    /* A login rotation here is seen there (checked by the other process). */
    CHECK_OK(coatcheck_store_login(store, token, "ada", &session));
    char *rotated = NULL;
    CHECK_OK(coatcheck_session_token(session, &rotated));
    coatcheck_session_free(session);
    CHECK(rotated != NULL && strcmp(rotated, token) != 0);
    send_line(out, "%s", rotated);

    /* A logout there is refused here at once. */
    CHECK(read_line(in, line, sizeof line) && strcmp(line, "logged-out") == 0);
    CHECK_STATUS(coatcheck_store_get(store, rotated, &session), COATCHECK_REVOKED);
    CHECK(session == NULL);
    uint64_t live = 99;
    CHECK_OK(coatcheck_store_count(store, &live));
    CHECK(live == 0);
    send_line(out, "bye");

    int wstatus = 0;
    CHECK(waitpid(child, &wstatus, 0) == child);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    close(out);
    close(in);
    coatcheck_string_free(token);
    coatcheck_string_free(rotated);
    CHECK_OK(coatcheck_store_close(&store));
    remove(path);
}

static void shared_mode_refuses_periodic_durability(void) {
    char path[512];
    temp_store_path(path, sizeof path, "shared-periodic");
    coatcheck_options *options = NULL;
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_options_new(&options));
    CHECK_OK(coatcheck_options_set_shared(options, true));
    CHECK_OK(coatcheck_options_set_durability(options, COATCHECK_DURABILITY_PERIODIC, 1000));
    CHECK_STATUS(coatcheck_store_open(path, options, &store), COATCHECK_INVALID_ARGUMENT);
    CHECK(store == NULL);
    CHECK_CONTAINS(coatcheck_last_error_message(), "Periodic");
    CHECK_CONTAINS(coatcheck_last_error_message(), "shared");
    CHECK_STATUS(coatcheck_options_set_shared(NULL, true), COATCHECK_INVALID_ARGUMENT);
    coatcheck_options_free(options);
    remove(path);
}

int main(void) {
    RUN(two_processes_share_one_file);
    RUN(shared_mode_refuses_periodic_durability);
    return finish("test_processes");
}
