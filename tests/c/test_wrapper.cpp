// The C++17 wrapper: RAII handles, std::string in and out, exceptions with
// the status and the message.
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include "check.hpp"



int main() {
    coatcheck::Options options;
    options.manual_clock(1795952525000).sweep_interval(std::chrono::milliseconds(0));

    run("store_session_and_values_round_trip", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::CreateOptions create;
        create.data_json(R"({"cart": ["tea"]})");
        coatcheck::Session s = store.create(&create);
        std::string token = s.token().value();
        store.set_json(token, "theme", "\"dark\"");
        coatcheck::Session again = store.get(token);
        EXPECT(again.get_json("theme") == std::optional<std::string>("\"dark\""));
        EXPECT(again.get_json("cart") == std::optional<std::string>("[\"tea\"]"));
        EXPECT(!again.get_json("absent").has_value());
        EXPECT(!again.token().has_value());
        EXPECT(again.id() == s.id());
        EXPECT(again.version() == 1);
        EXPECT(store.remove(token, "theme") == std::optional<std::string>("\"dark\""));
        store.close();
    });

    run("login_rotates_and_errors_carry_status_message_and_reason", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        std::string anon = *store.create().token();
        coatcheck::Session user = store.login(anon, "alice");
        EXPECT(user.user() == std::optional<std::string>("alice"));
        try {
            store.get(anon);
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_REVOKED);
            EXPECT(e.is_not_found());
            EXPECT(e.reason() == std::optional<std::string>("rotated"));
            EXPECT(std::strstr(e.what(), "get: the session was revoked") != nullptr);
        }
        try {
            store.set_json(*user.token(), "k", "{not json");
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_INVALID_ARGUMENT);
            EXPECT(std::strstr(e.what(), "invalid JSON") != nullptr);
        }
        coatcheck::SessionList list = store.sessions_of("alice");
        EXPECT(list.size() == 1);
        EXPECT(list[0].user() == std::optional<std::string>("alice"));
        EXPECT(store.users(std::nullopt, 10) == std::vector<std::string>{"alice"});
        EXPECT(store.destroy_user("alice") == 1);
    });

    run("apply_json_is_one_batch_and_a_bad_one_throws_and_changes_nothing", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        std::string token = *store.create().token();
        store.apply_json(token, R"({"set": {"a": 1, "b": "two"}, "flash": {"n": true},
                                    "remember": true})");
        coatcheck::Session s = store.peek(token);
        EXPECT(s.get_json("b") == std::optional<std::string>("\"two\""));
        EXPECT(s.remember());
        EXPECT(s.version() == 1);
        try {
            store.apply_json(token, R"({"set": {"a": 2}, "remove": ["b"], "bogus": 1})");
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_INVALID_ARGUMENT);
            EXPECT(std::strstr(e.what(), "bogus") != nullptr);
        }
        coatcheck::Session after = store.peek(token);
        EXPECT(after.get_json("a") == std::optional<std::string>("1"));
        EXPECT(after.get_json("b") == std::optional<std::string>("\"two\""));
        EXPECT(after.version() == 1);
    });

    run("expiry_with_the_manual_clock", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        std::string token = *store.create().token();
        store.advance_clock(std::chrono::minutes(31));
        try {
            store.get(token);
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_EXPIRED);
        }
        EXPECT(store.sweep() == 1);
        EXPECT(store.count() == 0);
    });

    run("web_layer_csrf_pairs_cookies", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::Session s = store.create();
        std::string token = *s.token();
        EXPECT(store.verify_csrf(token, store.csrf_token(token)));
        EXPECT(!store.verify_csrf(token, "nope"));
        coatcheck::TokenPair pair = store.issue_pair(token);
        EXPECT(store.verify_access(pair.access()).id() == s.id());
        coatcheck::TokenPair next = store.refresh(pair.refresh());
        store.advance_clock(std::chrono::seconds(11));
        try {
            store.refresh(pair.refresh());
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_TOKEN_REUSE);
        }
        coatcheck::CookieConfig cookies;
        cookies.name("sid").signed_with("0123456789abcdef0123456789abcdef");
        coatcheck::Session fresh = store.create();
        std::string header = cookies.set_cookie(fresh);
        EXPECT(header.rfind("sid=", 0) == 0);
        EXPECT(cookies.token_from_cookie_header(header.substr(0, header.find(';'))) == fresh.token());
        EXPECT(cookies.clear_cookie().find("Max-Age=0") != std::string::npos);
        EXPECT(coatcheck::token_from_authorization("Bearer abc") == std::optional<std::string>("abc"));
    });

    run("security_calls_devices_pairs_password_change_cookies", [&](bool &ok) {
        auto store = coatcheck::Store::in_memory(&options);
        coatcheck::CreateOptions ada;
        ada.user("ada");
        coatcheck::Session laptop = store.create(&ada);
        coatcheck::Session phone = store.create(&ada);
        coatcheck::CreateOptions bob;
        bob.user("bob");
        coatcheck::Session bobs = store.create(&bob);
        EXPECT(!store.destroy_user_session("ada", bobs.id()));
        EXPECT(store.destroy_user_session("ada", phone.id()));
        std::string token = *laptop.token();
        coatcheck::TokenPair pair = store.issue_pair(token);
        EXPECT(store.revoke_pairs(token));
        coatcheck::Session renewed = store.revoke_others_and_regenerate(token);
        EXPECT(renewed.token().has_value() && *renewed.token() != token);
        EXPECT(store.get_from(*renewed.token(), "192.0.2.1", nullptr).user() ==
               std::optional<std::string>("ada"));
        coatcheck::CookieConfig cookies;
        auto candidates = cookies.token_candidates_from_cookie_header(
            "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; "
            "session=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
        EXPECT(candidates.size() == 2 && candidates[1][0] == 'B');
        store.advance_clock(std::chrono::minutes(16));
        coatcheck::TokenPair fresh = store.issue_pair(*renewed.token());
        store.advance_clock(std::chrono::minutes(16));
        try {
            store.verify_access(fresh.access());
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.is_access_expired() && !e.is_not_found());
        }
        store.close();
    });

    run("shared_option_reaches_the_store", [&](bool &ok) {
        // Shared mode commits durably every time: Periodic is refused with it.
        coatcheck::Options shared;
        shared.shared(true).durability(COATCHECK_DURABILITY_PERIODIC, std::chrono::seconds(1));
        std::string path = "/tmp/coatcheck-cpp-shared-" + std::to_string(getpid()) + ".redb";
        std::remove(path.c_str());
        try {
            coatcheck::Store::open(path, &shared);
            EXPECT(false);
        } catch (const coatcheck::Error &e) {
            EXPECT(e.status() == COATCHECK_INVALID_ARGUMENT);
            EXPECT(std::strstr(e.what(), "shared") != nullptr);
        }
        shared.durability(COATCHECK_DURABILITY_IMMEDIATE);
        {
            auto store = coatcheck::Store::open(path, &shared);
            std::string token = *store.create().token();
            store.set_json(token, "theme", "\"dark\"");
            EXPECT(store.get(token).get_json("theme") == std::optional<std::string>("\"dark\""));
        }
        std::remove(path.c_str());
    });

    run("moved_store_closes_once", [&](bool &ok) {
        auto a = coatcheck::Store::in_memory(&options);
        coatcheck::Store b = std::move(a);
        EXPECT(a.raw() == nullptr);
        EXPECT(b.raw() != nullptr);
        b.close();
        b.close();  // harmless
    });

    std::printf("test_wrapper: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
