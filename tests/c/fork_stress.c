/* Fork stress: a store opened in a child after fork() never hangs, however
 * busy the parent's threads were at the moment of the fork.
 *
 * The parent keeps a store whose sweeper wakes every millisecond and two
 * threads that write and read without pause, so that the engine's locks are
 * often held at the instant of a fork. Each child opens its own store on
 * another path, writes, reads, closes it and exits; the parent waits for
 * each child with a deadline (SIGCHLD through sigtimedwait) and kills and
 * reports one that hangs. With parking_lot's process-wide parking table,
 * about one child in a hundred spun forever in coatcheck_store_close.
 *
 * Usage: fork_stress [FORKS]   (default 200; `make fork-stress` runs 5000)
 * Not run under valgrind: it is about hangs, and valgrind forks slowly. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

static atomic_bool stop_writers;

static coatcheck_options *busy_options(void) {
    coatcheck_options *options = NULL;
    if (coatcheck_options_new(&options) != COATCHECK_OK ||
        coatcheck_options_set_sweep_interval_ms(options, 1) != COATCHECK_OK) {
        fprintf(stderr, "options: %s\n", coatcheck_last_error_message());
        exit(2);
    }
    return options;
}

static void *writer(void *arg) {
    coatcheck_store *store = arg;
    char *token = new_token(store);
    while (!atomic_load(&stop_writers)) {
        coatcheck_session *session = NULL;
        if (coatcheck_store_set_json(store, token, "n", "1") != COATCHECK_OK ||
            coatcheck_store_get(store, token, &session) != COATCHECK_OK) {
            fprintf(stderr, "parent writer: %s\n", coatcheck_last_error_message());
            exit(2);
        }
        coatcheck_session_free(session);
    }
    coatcheck_string_free(token);
    return NULL;
}

/* The child's whole life: its own store, one write, one read, close. */
static int child_work(const char *path) {
    coatcheck_options *options = busy_options();
    coatcheck_store *store = NULL;
    if (coatcheck_store_open(path, options, &store) != COATCHECK_OK) return 3;
    coatcheck_options_free(options);
    coatcheck_session *session = NULL;
    char *token = NULL;
    if (coatcheck_store_create(store, NULL, &session) != COATCHECK_OK) return 4;
    if (coatcheck_session_token(session, &token) != COATCHECK_OK) return 4;
    coatcheck_session_free(session);
    if (coatcheck_store_set_json(store, token, "child", "true") != COATCHECK_OK) return 5;
    if (coatcheck_store_get(store, token, &session) != COATCHECK_OK) return 6;
    coatcheck_session_free(session);
    coatcheck_string_free(token);
    if (coatcheck_store_close(&store) != COATCHECK_OK) return 7;
    remove(path);
    return 0;
}

int main(int argc, char **argv) {
    long forks = argc > 1 ? strtol(argv[1], NULL, 10) : 200;
    char parent_path[512], child_path[512];
    temp_store_path(parent_path, sizeof parent_path, "fork-stress-parent");
    temp_store_path(child_path, sizeof child_path, "fork-stress-child");

    /* SIGCHLD stays blocked: the parent collects it with sigtimedwait. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, NULL);

    coatcheck_options *options = busy_options();
    coatcheck_store *store = NULL;
    CHECK_OK(coatcheck_store_open(parent_path, options, &store));
    coatcheck_options_free(options);
    pthread_t writers[2];
    for (int i = 0; i < 2; i++) pthread_create(&writers[i], NULL, writer, store);

    long hung = 0, failed = 0;
    for (long n = 0; n < forks; n++) {
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            return 2;
        }
        if (child == 0) _exit(child_work(child_path));
        struct timespec deadline = {.tv_sec = 20, .tv_nsec = 0};
        int status = 0;
        for (;;) {
            pid_t got = waitpid(child, &status, WNOHANG);
            if (got == child) break;
            if (sigtimedwait(&chld, NULL, &deadline) < 0 && errno == EAGAIN) {
                fprintf(stderr, "fork %ld: child %d hung for 20 s; killing it\n", n, (int)child);
                kill(child, SIGKILL);
                waitpid(child, &status, 0);
                hung++;
                status = 0;
                break;
            }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork %ld: child exited with %d\n", n, WEXITSTATUS(status));
            failed++;
        } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
            fprintf(stderr, "fork %ld: child died of signal %d\n", n, WTERMSIG(status));
            failed++;
        }
        remove(child_path);
    }
    atomic_store(&stop_writers, true);
    for (int i = 0; i < 2; i++) pthread_join(writers[i], NULL);
    CHECK_OK(coatcheck_store_close(&store));
    remove(parent_path);
    printf("fork_stress: %ld forks, %ld hung, %ld failed\n", forks, hung, failed);
    return hung == 0 && failed == 0 && checks_failed_in_test == 0 ? 0 : 1;
}
