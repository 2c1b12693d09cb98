// learn-sessions in C++17: the same /v1 API as examples/learn_sessions (the
// Python app), on coatcheck's C++ wrapper (include/coatcheck.hpp), served by
// cpp-httplib's thread pool, with users in SQLite, argon2id password hashes
// (libargon2) and JSON by nlohmann/json. No front end: the API only.
//
//   DATA_DIR=/tmp/ls PORT=3334 DEBUG=1 ./learn_sessions_server
//
// Settings: see settings.hpp and the Python app's README (same names).
#include <argon2.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/file.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "coatcheck.hpp"
#include "database.hpp"
#include "settings.hpp"

using json = nlohmann::json;

namespace learn_sessions {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMinPassword = 8;
constexpr std::size_t kMaxPassword = 1000;
constexpr std::size_t kCodeLength = 6;
const char *const kCookieName = "sessionId";
const char *const kBadCredentials = "the name, e-mail or password is not right";

/// A refusal: the HTTP status and a message safe to show.
struct ApiError {
    int status;
    std::string message;
    long retry_after = 0;  // seconds, for 429
};

ApiError bad_request(std::string message) { return ApiError{400, std::move(message)}; }

// Time: the system clock, or a manual one under TEST_CLOCK (the store's
// clock is moved in step, so sessions and codes expire together).
class Clock {
  public:
    explicit Clock(bool manual)
        : manual_(manual), start_ms_(system_ms()), offset_ms_(0) {}
    std::int64_t now_ms() const { return manual_ ? start_ms_ + offset_ms_.load() : system_ms(); }
    std::int64_t start_ms() const { return start_ms_; }
    bool manual() const { return manual_; }
    void advance(std::int64_t ms) { offset_ms_ += ms; }

  private:
    static std::int64_t system_ms() {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }
    bool manual_;
    std::int64_t start_ms_;
    std::atomic<std::int64_t> offset_ms_;
};

/// ISO 8601 in UTC with milliseconds: 2026-12-03T18:30:00.000Z.
std::string iso(std::int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(ms % 1000));
    return text;
}

std::string uuid4() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
    std::string h = hex(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

/// Characters (code points) of valid UTF-8 text, as the Python app counts.
std::size_t characters(const std::string &text) {
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

bool blank(const std::string &text) {
    return text.find_first_not_of(" \t\n\r\f\v") == std::string::npos;
}

// Body fields, checked as the Python app checks them. A null is absent.

std::optional<std::string> optional_string(const json &body, const char *key, std::size_t longest) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string() || blank(it->get<std::string>()))
        throw bad_request(std::string(key) + " is required and must be a non-empty string");
    std::string value = it->get<std::string>();
    if (characters(value) > longest)
        throw bad_request(std::string(key) + " must be at most " + std::to_string(longest) +
                          " characters");
    return value;
}

std::string required_string(const json &body, const char *key, std::size_t longest) {
    auto value = optional_string(body, key, longest);
    if (!value) throw bad_request(std::string(key) + " is required and must be a non-empty string");
    return *value;
}

bool optional_bool(const json &body, const char *key) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return false;
    if (!it->is_boolean()) throw bad_request(std::string(key) + " must be true or false");
    return it->get<bool>();
}

std::string password_field(const json &body, const char *key) {
    std::string password = required_string(body, key, kMaxPassword);
    if (characters(password) < kMinPassword)
        throw bad_request(std::string(key) + " must be at least " + std::to_string(kMinPassword) +
                          " characters");
    return password;
}

/// Counts attempts per key in fixed windows (one process: kept in memory).
class RateLimiter {
  public:
    /// Counts one hit; throws 429 past `allowed` in the current window.
    void hit(const std::string &key, long allowed, std::int64_t now_ms, long window_seconds) {
        std::int64_t window_ms = window_seconds * 1000;
        std::int64_t window = now_ms / window_ms;
        long count;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (window != window_) {
                hits_.clear();
                window_ = window;
            }
            count = ++hits_[key];
        }
        if (count > allowed) {
            long retry = static_cast<long>(((window + 1) * window_ms - now_ms + 999) / 1000);
            retry = std::max(1L, retry);
            throw ApiError{429, "too many attempts; try again in " + std::to_string(retry) + " seconds",
                           retry};
        }
    }

  private:
    std::mutex mutex_;
    std::int64_t window_ = -1;
    std::map<std::string, long> hits_;
};

/// The default "e-mail": one JSON line {"email", "otp"} appended to OTP_FILE.
void send_code(const std::string &path, const std::string &email, const std::string &code) {
    std::string line = json{{"email", email}, {"otp", code}}.dump() + "\n";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) throw std::runtime_error("cannot open OTP_FILE " + path);
    flock(fd, LOCK_EX);
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write OTP_FILE " + path);
}

class App {
  public:
    explicit App(Settings settings)
        : settings_(std::move(settings)),
          clock_(settings_.test_clock),
          db_(settings_.users_db()),
          store_(open_store()),
          decoy_hash_(hash_password(hex(random_bytes(16)))) {
        for (bool secure : {false, true}) {
            coatcheck::CookieConfig &c = secure ? secure_cookies_ : plain_cookies_;
            c.name(kCookieName).secure(secure).http_only(true).same_site(COATCHECK_SAME_SITE_LAX);
            c.signed_with(settings_.secret_key);
        }
    }

    void install(httplib::Server &server) {
        server.Post("/v1/user/create", json_route(&App::create_user));
        server.Post("/v1/user/auth", json_route(&App::auth));
        server.Delete("/v1/user/logout", plain_route(&App::logout));
        server.Get("/v1/users", plain_route(&App::users));
        server.Post("/v1/user/forget-password", json_route(&App::forget_password));
        server.Post("/v1/user/reset-password", json_route(&App::reset_password));
        if (settings_.test_clock) {
            server.Post("/__test__/clock", [this](const httplib::Request &req, httplib::Response &res) {
                json body = json::parse(req.body, nullptr, false);
                if (!body.is_object() || !body.contains("advanceSeconds") ||
                    !body["advanceSeconds"].is_number()) {
                    res.status = 400;
                    return;
                }
                auto ms = static_cast<std::int64_t>(body["advanceSeconds"].get<double>() * 1000);
                store_.advance_clock(std::chrono::milliseconds(ms));
                clock_.advance(ms);
                res.status = 204;
            });
        }
    }

    void close() { store_.close(); }

  private:
    using JsonHandler = void (App::*)(const httplib::Request &, httplib::Response &, const json &);
    using PlainHandler = void (App::*)(const httplib::Request &, httplib::Response &);

    coatcheck::Store open_store() {
        coatcheck::Options options;
        if (clock_.manual()) options.manual_clock(clock_.start_ms());
        return coatcheck::Store::open(settings_.sessions_file(), &options);
    }

    // Plumbing: parse, run, turn ApiError into JSON; never a 500 for bad input.

    httplib::Server::Handler json_route(JsonHandler handler) {
        return [this, handler](const httplib::Request &req, httplib::Response &res) {
            respond(res, [&] {
                if (req.body.size() > kMaxBody)
                    throw bad_request("the body must be at most " + std::to_string(kMaxBody) + " bytes");
                std::string type = lower(req.get_header_value("Content-Type"));
                type = type.substr(0, type.find(';'));
                type.erase(type.find_last_not_of(" \t") + 1);
                if (type != "application/json")
                    throw bad_request("the body must be JSON (Content-Type: application/json)");
                json body = json::parse(req.body, nullptr, false);
                if (body.is_discarded() || !body.is_object())
                    throw bad_request("the body must be a JSON object");
                (this->*handler)(req, res, body);
            });
        };
    }

    httplib::Server::Handler plain_route(PlainHandler handler) {
        return [this, handler](const httplib::Request &req, httplib::Response &res) {
            respond(res, [&] { (this->*handler)(req, res); });
        };
    }

    template <typename Work>
    void respond(httplib::Response &res, Work work) {
        try {
            work();
        } catch (const ApiError &error) {
            send_json(res, error.status, json{{"error", error.message}});
            if (error.retry_after > 0) res.set_header("Retry-After", std::to_string(error.retry_after));
        }
        res.set_header("Cache-Control", "no-store");
    }

    static void send_json(httplib::Response &res, int status, const json &body) {
        res.status = status;
        res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    }

    // Sessions and cookies

    /// Secure over HTTPS: the scheme a loopback proxy reports, or COOKIE_SECURE.
    const coatcheck::CookieConfig &cookies(const httplib::Request &req) const {
        bool secure = settings_.cookie_secure == "always";
        if (settings_.cookie_secure == "auto")
            secure = req.remote_addr == "127.0.0.1" &&
                     lower(req.get_header_value("X-Forwarded-Proto")) == "https";
        return secure ? secure_cookies_ : plain_cookies_;
    }

    struct Current {
        std::string token;
        coatcheck::Session session;
    };

    /// The live session of the cookie; nullopt when absent, malformed,
    /// unsigned, tampered with, expired or ended.
    std::optional<Current> current(const httplib::Request &req) {
        std::string header = req.get_header_value("Cookie");
        if (header.empty()) return std::nullopt;
        std::optional<std::string> token;
        try {
            token = cookies(req).token_from_cookie_header(header);
        } catch (const coatcheck::Error &) {
            return std::nullopt;  // bad UTF-8 and the like: no token
        }
        if (!token) return std::nullopt;
        try {
            return Current{*token, store_.get(*token)};
        } catch (const coatcheck::Error &error) {
            if (error.is_not_found() || error.status() == COATCHECK_INVALID_TOKEN) return std::nullopt;
            throw;
        }
    }

    std::optional<Current> signed_in(const httplib::Request &req) {
        auto found = current(req);
        if (found && found->session.user()) return found;
        return std::nullopt;
    }

    coatcheck::Session start_session(const httplib::Request &req, const std::string &user_id,
                                     bool remember) {
        std::string agent = req.get_header_value("User-Agent").substr(0, 512);
        coatcheck::CreateOptions options;
        options.user(user_id).remember(remember);
        options.meta(req.remote_addr,
                     agent.empty() ? std::nullopt : std::optional<std::string>(agent));
        return store_.create(&options);
    }

    /// A new cookie replaces the request's: the session it held (anonymous,
    /// or another account's) ends rather than being left unreachable.
    void end_replaced(const httplib::Request &req) {
        auto found = current(req);
        if (found) store_.destroy(found->token);
    }

    void unauthorized(const httplib::Request &req, httplib::Response &res) {
        send_json(res, 401, json{{"error", "sign in first: no valid session"}});
        if (req.get_header_value("Cookie").find(std::string(kCookieName) + "=") != std::string::npos)
            res.set_header("Set-Cookie", cookies(req).clear_cookie());
    }

    void signed_in_reply(const httplib::Request &req, httplib::Response &res,
                         const coatcheck::Session &session) {
        send_json(res, 201,
                  json{{"id", session.id()},
                       {"userId", session.user().value_or("")},
                       {"startedAt", iso(session.created_at_ms())}});
        res.set_header("Set-Cookie", cookies(req).set_cookie(session));
    }

    // Passwords and codes

    std::string hash_password(const std::string &password) const {
        const std::uint32_t t_cost = 3, parallelism = 4, hash_len = 32;
        std::string salt = random_bytes(16);
        std::string encoded(argon2_encodedlen(t_cost, settings_.argon2_memory_kib, parallelism,
                                              static_cast<std::uint32_t>(salt.size()), hash_len,
                                              Argon2_id),
                            '\0');
        int rc = argon2id_hash_encoded(t_cost, settings_.argon2_memory_kib, parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       hash_len, &encoded[0], encoded.size());
        if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
        encoded.resize(encoded.find('\0'));
        return encoded;
    }

    static bool password_matches(const std::string &hash, const std::string &password) {
        return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
    }

    /// Codes are stored hashed with the secret key as pepper: a copy of the
    /// users file alone does not give them away.
    std::string code_hash(const std::string &code) const { return hash_password(settings_.secret_key + code); }
    bool code_matches(const std::string &hash, const std::string &code) const {
        return password_matches(hash, settings_.secret_key + code);
    }

    void limit(const char *kind, const std::string &who, long allowed) {
        limiter_.hit(std::string(kind) + ":" + who, allowed, clock_.now_ms(), settings_.rate_window_seconds);
    }

    static std::string address(const httplib::Request &req) { return req.remote_addr; }

    static json user_json(const User &u) {
        return json{{"id", u.id},
                    {"displayName", u.display_name ? json(*u.display_name) : json(nullptr)},
                    {"name", u.name},
                    {"email", u.email},
                    {"keepSignedIn", u.keep_signed_in},
                    {"createdAt", u.created_at}};
    }

    // Routes

    void create_user(const httplib::Request &req, httplib::Response &res, const json &body) {
        static const std::regex email_shape(R"(^[^@\s]+@[^@\s]+\.[^@\s.]+$)");
        User u;
        u.display_name = optional_string(body, "displayName", 255);
        u.name = required_string(body, "name", 100);
        u.email = required_string(body, "email", 255);
        if (!std::regex_match(u.email, email_shape))
            throw bad_request("email must be a valid e-mail address");
        std::string password = password_field(body, "password");
        u.keep_signed_in = optional_bool(body, "keepSignedIn");
        u.id = uuid4();
        u.password_hash = hash_password(password);
        u.created_at = iso(clock_.now_ms());
        if (!db_.add_user(u)) throw ApiError{409, "a user with this name or e-mail exists already"};
        end_replaced(req);
        coatcheck::Session session = start_session(req, u.id, u.keep_signed_in);
        send_json(res, 201, user_json(u));
        res.set_header("Set-Cookie", cookies(req).set_cookie(session));
    }

    void auth(const httplib::Request &req, httplib::Response &res, const json &body) {
        if (signed_in(req)) throw bad_request("already signed in: log out first");
        auto name = optional_string(body, "name", 100);
        auto email = optional_string(body, "email", 255);
        if (!name && !email) throw bad_request("name or email is required");
        std::string password = required_string(body, "password", kMaxPassword);
        bool keep = optional_bool(body, "keepSignedIn");
        limit("auth-address", address(req), settings_.auth_per_address);
        limit("auth-account", lower(name ? *name : *email), settings_.auth_per_account);
        std::optional<User> user = name ? db_.user_by("name", *name) : db_.user_by("email", *email);
        if (user && email && lower(user->email) != lower(*email)) user.reset();
        // Unknown user and wrong password cost one argon2 check alike.
        bool matches = password_matches(user ? user->password_hash : decoy_hash_, password);
        if (!user || !matches) throw bad_request(kBadCredentials);
        if (body.contains("keepSignedIn") && keep != user->keep_signed_in)
            db_.set_keep_signed_in(user->id, keep);
        end_replaced(req);
        signed_in_reply(req, res, start_session(req, user->id, keep));
    }

    void logout(const httplib::Request &req, httplib::Response &res) {
        auto found = signed_in(req);
        if (!found) return unauthorized(req, res);
        store_.logout(found->token);
        res.status = 204;
        res.set_header("Set-Cookie", cookies(req).clear_cookie());
    }

    void users(const httplib::Request &req, httplib::Response &res) {
        auto found = signed_in(req);
        if (!found) return unauthorized(req, res);
        json listing = json::array();
        std::string me = found->session.user().value_or("");
        for (const User &u : db_.all_users()) {
            json entry = user_json(u);
            if (u.id == me) {
                entry["sessionId"] = found->session.id();  // this request's session
            } else {  // the one used last, if any is live
                coatcheck::SessionList live = store_.sessions_of(u.id);
                std::optional<std::string> latest;
                std::pair<std::int64_t, std::int64_t> best{-1, -1};
                for (std::size_t i = 0; i < live.size(); i++) {
                    auto s = live[i];
                    std::pair<std::int64_t, std::int64_t> key{s.last_access_ms(), s.created_at_ms()};
                    if (key > best) best = key, latest = s.id();
                }
                entry["sessionId"] = latest ? json(*latest) : json(nullptr);
            }
            listing.push_back(entry);
        }
        send_json(res, 200, listing);
    }

    void forget_password(const httplib::Request &req, httplib::Response &res, const json &body) {
        std::string email = required_string(body, "email", 255);
        limit("recovery-address", address(req), settings_.recovery_per_address);
        limit("recovery-account", lower(email), settings_.recovery_per_account);
        std::optional<User> user = db_.user_by("email", email);
        if (!user) throw bad_request("no user has this e-mail address");
        std::string code;
        for (unsigned char c : random_bytes(kCodeLength)) code.push_back(static_cast<char>('0' + c % 10));
        Recovery r{uuid4(), user->id, code_hash(code),
                   clock_.now_ms() + settings_.recovery_ttl_seconds * 1000,
                   static_cast<int>(settings_.recovery_attempts)};
        if (!db_.start_recovery(r, clock_.now_ms()))
            throw bad_request("a password recovery is already pending for this user");
        send_code(settings_.otp_file, user->email, code);
        send_json(res, 200, json{{"id", r.id}});
        if (settings_.debug) res.set_header("X-Debug-OTP", code);
    }

    void reset_password(const httplib::Request &req, httplib::Response &res, const json &body) {
        static const std::regex uuid_shape(
            "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
        std::string id = required_string(body, "id", 36);
        std::string code = required_string(body, "otp", kCodeLength);
        std::string password = password_field(body, "newPassword");
        if (!std::regex_match(id, uuid_shape)) throw bad_request("id must be a UUID");
        if (characters(code) != kCodeLength)
            throw bad_request("otp must be " + std::to_string(kCodeLength) + " characters");
        limit("reset-address", address(req), settings_.recovery_per_address);
        auto recovery = db_.take_recovery_attempt(lower(id), clock_.now_ms());
        if (!recovery) throw bad_request("no pending password recovery with this id (used or expired?)");
        if (!code_matches(recovery->code_hash, code)) throw bad_request("the code is not right");
        if (!db_.finish_recovery(recovery->id))
            throw bad_request("no pending password recovery with this id (used or expired?)");
        std::optional<User> user = db_.user_by("id", recovery->user_id);
        if (!user) throw bad_request("the user of this recovery is gone");
        db_.set_password(user->id, hash_password(password));
        end_replaced(req);
        coatcheck::Session session = start_session(req, user->id, user->keep_signed_in);
        // A new password ends every other session of the user.
        store_.destroy_user_except(user->id, session.id());
        signed_in_reply(req, res, session);
    }

    Settings settings_;
    Clock clock_;
    Database db_;
    coatcheck::Store store_;
    coatcheck::CookieConfig plain_cookies_;
    coatcheck::CookieConfig secure_cookies_;
    RateLimiter limiter_;
    std::string decoy_hash_;
};

}  // namespace
}  // namespace learn_sessions

int main() {
    // SIGINT/SIGTERM are taken by one thread, which stops the server, so
    // that the store is closed (flushed) on the way out.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    try {
        learn_sessions::Settings settings = learn_sessions::Settings::from_env();
        std::string host = settings.host;
        int port = settings.port;
        learn_sessions::App app(std::move(settings));
        httplib::Server server;
        server.set_payload_max_length(1024 * 1024);
        server.set_exception_handler([](const httplib::Request &, httplib::Response &res, std::exception_ptr) {
            res.status = 500;
            res.set_content(R"({"error":"internal error"})", "application/json");
        });
        app.install(server);
        std::thread stopper([&server, stop_signals] {
            int signal = 0;
            sigwait(&stop_signals, &signal);
            server.stop();
        });
        stopper.detach();
        std::cout << "learn-sessions (C++) on http://" << host << ":" << port << "/v1/" << std::endl;
        bool served = server.listen(host.c_str(), port);
        app.close();
        if (!served) {
            std::cerr << "cannot listen on " << host << ":" << port << "\n";
            return 1;
        }
        return 0;
    } catch (const std::exception &error) {
        std::cerr << "learn-sessions: " << error.what() << "\n";
        return 1;
    }
}
