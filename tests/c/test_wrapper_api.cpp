// The rest of the C API through the C++ wrapper: every option setter,
// session lifetimes, store counters and stats, per-session lifetime and
// meta, the cookie's domain / CSRF cookie / keys, version checks and the
// events hook.
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

#include "check.hpp"

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;


// The status of the coatcheck::Error `call` throws, or COATCHECK_OK.
#define STATUS_OF(call)                                                                      \
    [&]() -> coatcheck_status {                                                              \
        try {                                                                                \
            call;                                                                            \
        } catch (const coatcheck::Error &e) {                                                \
            return e.status();                                                               \
        }                                                                                    \
        return COATCHECK_OK;                                                                 \
    }()


static const std::int64_t START_MS = 1795952525000;

// Options with a manual clock and no background sweeper.
static coatcheck::Options test_options() {
    coatcheck::Options options;
    options.manual_clock(START_MS).sweep_interval(milliseconds(0));
    return options;
}

static bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

// Events the hook has seen, for the test thread to wait on.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
};

static void record_event(const char *event_json, void *user_data) {
    auto *events = static_cast<Events *>(user_data);
    std::lock_guard<std::mutex> lock(events->mutex);
    events->lines.emplace_back(event_json);
    events->changed.notify_all();
}

int main() {
    run("version_and_abi_match_the_header", [&](bool &ok) {
        EXPECT(coatcheck::abi_matches());
        EXPECT(coatcheck::version() == std::string(coatcheck_version()));
        EXPECT(!coatcheck::version().empty());
    });

    run("lifetime_options_reach_sessions", [&](bool &ok) {
        auto options = test_options();
        options.idle_timeout(minutes(10))
            .absolute_timeout(minutes(60))
            .remember_idle_timeout(minutes(100))
            .remember_absolute_timeout(minutes(1000));
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::Session plain = store.create();
        EXPECT(plain.idle_timeout() == minutes(10));
        EXPECT(plain.absolute_timeout() == minutes(60));
        coatcheck::CreateOptions keep;
        keep.remember(true);
        coatcheck::Session remembered = store.create(&keep);
        EXPECT(remembered.remember());
        EXPECT(remembered.idle_timeout() == minutes(100));
        EXPECT(remembered.absolute_timeout() == minutes(1000));
        // set_lifetime gives one session its own; set_remember switches kind.
        std::string token = *plain.token();
        store.set_lifetime(token, minutes(2), minutes(5));
        EXPECT(store.peek(token).idle_timeout() == minutes(2));
        EXPECT(store.peek(token).absolute_timeout() == minutes(5));
        store.advance_clock(minutes(3));
        EXPECT(STATUS_OF(store.get(token)) == COATCHECK_EXPIRED);
        std::string kept = *remembered.token();
        store.set_remember(kept, false);
        EXPECT(!store.peek(kept).remember());
        EXPECT(store.peek(kept).idle_timeout() == minutes(10));
    });

    run("ttl_basis_created_ignores_use", [&](bool &ok) {
        auto options = test_options();
        options.ttl_basis(COATCHECK_TTL_CREATED).touch_interval(milliseconds(0));
        auto store = coatcheck::Store::in_memory(&options);
        std::string token = *store.create().token();
        store.advance_clock(minutes(20));
        store.get(token);
        store.advance_clock(minutes(20));  // 40 min after creation, 20 after use
        EXPECT(STATUS_OF(store.get(token)) == COATCHECK_EXPIRED);
        EXPECT(STATUS_OF(options.ttl_basis(7)) == COATCHECK_INVALID_ARGUMENT);
    });

    run("token_shape_options_and_prefix_reset", [&](bool &ok) {
        auto options = test_options();
        std::size_t default_length = 0;
        {
            auto store = coatcheck::Store::in_memory(&options);
            default_length = store.create().token()->size();
        }
        options.token_bytes(16);
        {
            auto store = coatcheck::Store::in_memory(&options);
            EXPECT(store.create().token()->size() < default_length);
        }
        options.token_bytes(32).token_timestamp(true);
        {
            auto store = coatcheck::Store::in_memory(&options);
            EXPECT(store.create().token()->size() > default_length);
        }
        options.token_timestamp(false).token_prefix("cc_");
        {
            auto store = coatcheck::Store::in_memory(&options);
            EXPECT(store.create().token()->rfind("cc_", 0) == 0);
        }
        options.token_prefix(std::nullopt);
        {
            auto store = coatcheck::Store::in_memory(&options);
            EXPECT(store.create().token()->size() == default_length);
        }
        options.token_bytes(8);
        EXPECT(STATUS_OF(coatcheck::Store::in_memory(&options)) == COATCHECK_INVALID_ARGUMENT);
    });

    run("login_and_emptiness_options", [&](bool &ok) {
        auto options = test_options();
        options.regenerate_on_login(false).destroy_when_empty(true).max_value_bytes(64);
        auto store = coatcheck::Store::in_memory(&options);
        std::string token = *store.create().token();
        coatcheck::Session user = store.login(token, "ada");
        EXPECT(!user.token().has_value());  // same token, still valid
        EXPECT(store.get(token).user() == std::optional<std::string>("ada"));
        EXPECT(STATUS_OF(store.set_json(token, "big", '"' + std::string(100, 'x') + '"')) ==
               COATCHECK_INVALID_ARGUMENT);
        std::string anon = *store.create().token();
        store.set_json(anon, "k", "1");
        store.remove(anon, "k");
        EXPECT(coatcheck_status_is_not_found(STATUS_OF(store.get(anon))));
    });

    run("cache_capacity_and_sweep_batch", [&](bool &ok) {
        auto options = test_options();
        options.cache_capacity(0).sweep_batch(1);
        auto store = coatcheck::Store::in_memory(&options);
        std::string token = *store.create().token();
        store.create();
        store.get(token);
        store.get(token);
        EXPECT(contains(store.stats_json(), "\"cache_hits\":0"));
        store.advance_clock(minutes(31));
        EXPECT(store.sweep() == 2);  // in batches of one
        options.sweep_batch(0);
        EXPECT(STATUS_OF(coatcheck::Store::in_memory(&options)) == COATCHECK_INVALID_ARGUMENT);
    });

    run("token_pair_options_and_key_rotation", [&](bool &ok) {
        const std::string old_key(32, 'o'), new_key(32, 'n');
        std::string path = "/tmp/coatcheck-cpp-api-" + std::to_string(getpid()) + ".redb";
        std::remove(path.c_str());
        auto options = test_options();
        options.access_ttl(minutes(1)).refresh_ttl(minutes(10)).refresh_grace(milliseconds(0));
        options.access_key(old_key);
        std::string session_token, access;
        {
            auto store = coatcheck::Store::open(path, &options);
            session_token = *store.create().token();
            coatcheck::TokenPair pair = store.issue_pair(session_token);
            EXPECT(pair.access_expires_at_ms() == START_MS + 60000);
            EXPECT(pair.refresh_expires_at_ms() == START_MS + 600000);
            access = pair.access();
            // No grace: the spent refresh token at once is theft.
            store.refresh(pair.refresh());
            EXPECT(STATUS_OF(store.refresh(pair.refresh())) == COATCHECK_TOKEN_REUSE);
            session_token = *store.create().token();
            access = store.issue_pair(session_token).access();
        }
        options.access_key(new_key).add_retired_access_key(old_key);
        {
            auto store = coatcheck::Store::open(path, &options);
            EXPECT(store.verify_access(access).token() == std::nullopt);
        }
        coatcheck::Options without_old = test_options();
        without_old.access_key(new_key);
        {
            auto store = coatcheck::Store::open(path, &without_old);
            EXPECT(STATUS_OF(store.verify_access(access)) == COATCHECK_INVALID_TOKEN);
        }
        // A short key is refused when the store opens; nullopt restores the
        // default (a random key per process).
        options.access_key(std::string(8, 'k'));
        EXPECT(STATUS_OF(coatcheck::Store::in_memory(&options)) == COATCHECK_INVALID_ARGUMENT);
        options.access_key(std::nullopt);
        EXPECT(STATUS_OF(coatcheck::Store::in_memory(&options)) == COATCHECK_OK);
        std::remove(path.c_str());
    });

    run("binding_ends_a_session_used_by_another_client", [&](bool &ok) {
        auto options = test_options();
        options.binding(true, 0, 0);
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::CreateOptions create;
        create.meta(std::string("192.0.2.1"), std::string("Agent A"));
        std::string token = *store.create(&create).token();
        store.get_from(token, "192.0.2.99", "Agent A");
        try {
            store.get_from(token, "192.0.2.1", "Agent B");
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_REVOKED);
            EXPECT(e.reason() == std::optional<std::string>("binding_mismatch"));
        }
    });

    run("counters_stats_and_meta", [&](bool &ok) {
        auto options = test_options();
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::CreateOptions ada, bob;
        ada.user("ada");
        bob.user("bob");
        std::string token = *store.create(&ada).token();
        store.create(&ada);
        store.create(&bob);
        store.create();
        EXPECT(store.count() == 4);
        EXPECT(store.count_users() == 2);
        std::string stats = store.stats_json();
        EXPECT(contains(stats, "\"sessions\":4"));
        EXPECT(contains(stats, "\"users\":2"));
        store.set_meta(token, std::string("198.51.100.7"), std::nullopt, std::string("laptop"));
        std::string meta = store.peek(token).meta_json();
        EXPECT(contains(meta, "\"ip\":\"198.51.100.7\""));
        EXPECT(contains(meta, "\"user_agent\":null"));
        EXPECT(contains(meta, "\"label\":\"laptop\""));
    });

    run("cookie_domain_csrf_cookie_and_keys", [&](bool &ok) {
        auto options = test_options();
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::Session session = store.create();
        coatcheck::CookieConfig cookies;
        cookies.domain(std::string("example.com"));
        EXPECT(contains(cookies.set_cookie(session), "Domain=example.com"));
        cookies.domain(std::nullopt);
        EXPECT(!contains(cookies.set_cookie(session), "Domain="));
        EXPECT(STATUS_OF(cookies.domain(std::string(""))) == COATCHECK_INVALID_ARGUMENT);
        EXPECT(STATUS_OF(cookies.name("a;b")) == COATCHECK_INVALID_ARGUMENT);
        EXPECT(STATUS_OF(cookies.path("/a\r\nX: y")) == COATCHECK_INVALID_ARGUMENT);
        cookies.csrf_cookie_name("CSRF");
        std::string csrf = store.csrf_token(*session.token());
        EXPECT(cookies.csrf_cookie(csrf).rfind("CSRF=" + csrf, 0) == 0);
        cookies.signed_cookie(true);
        EXPECT(STATUS_OF(cookies.set_cookie(session)) == COATCHECK_INVALID_ARGUMENT);
        cookies.add_key(std::string(32, 'k'));
        std::string header = cookies.set_cookie(session);
        EXPECT(cookies.token_from_cookie_header(header.substr(0, header.find(';'))) ==
               session.token());
    });

    run("event_hook_sees_created_and_ended", [&](bool &ok) {
        Events events;
        {
            auto options = test_options();
            options.event_hook(record_event, &events);
            auto store = coatcheck::Store::in_memory(&options);
            std::string token = *store.create().token();
            store.logout(token);
            std::unique_lock<std::mutex> lock(events.mutex);
            events.changed.wait_for(lock, seconds(10), [&] { return events.lines.size() >= 2; });
        }  // the store closes before `events` goes
        std::lock_guard<std::mutex> lock(events.mutex);
        EXPECT(events.lines.size() == 2);
        EXPECT(events.lines.size() >= 1 && contains(events.lines[0], "\"kind\":\"created\""));
        EXPECT(events.lines.size() >= 2 && contains(events.lines[1], "\"kind\":\"ended\""));
        EXPECT(events.lines.size() >= 2 && contains(events.lines[1], "\"reason\":\"logout\""));
    });

    run("check_and_repair_report_a_sound_file", [&](bool &ok) {
        std::string path = "/tmp/coatcheck-cpp-check-" + std::to_string(getpid()) + ".redb";
        std::remove(path.c_str());
        {
            auto options = test_options();
            auto store = coatcheck::Store::open(path, &options);
            store.create();
            std::string report = store.check_json();
            EXPECT(contains(report, "\"problems\":[]"));
            EXPECT(contains(report, "\"sessions\":1"));
        }  // closed: repair needs the file to itself
        std::string repaired = coatcheck::Store::repair(path);
        EXPECT(contains(repaired, "\"was_sound\":true"));
        std::remove(path.c_str());
    });

    std::printf("test_wrapper_api: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
