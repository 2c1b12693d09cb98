// coatcheck.hpp: a header-only C++17 wrapper of coatcheck.h.
//
// RAII handles (Store, Session, SessionList, TokenPair, Options,
// CreateOptions, CookieConfig), std::string in and out, std::optional where
// C gives NULL, and exceptions: every failing call throws coatcheck::Error,
// which carries the status (err.status()), the message
// (err.what(), coatcheck_last_error_message() at the time of the failure)
// and, for revoked sessions, the reason (err.reason()).
//
//   coatcheck::Store store = coatcheck::Store::open("sessions.redb");
//   coatcheck::Session s = store.create();
//   std::string token = *s.token();
//   store.set_json(token, "theme", "\"dark\"");
//   std::string theme = *store.get(token).get_json("theme");   // "\"dark\""
//
// Thread safety is the C library's: one Store may be used from many threads
// at once; the other objects are values for one thread at a time. A Store
// closes when it is destroyed (errors of that final flush are swallowed;
// call close() to see them).
#ifndef COATCHECK_HPP
#define COATCHECK_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "coatcheck.h"

namespace coatcheck {

/// A failed coatcheck call: the status and the library's message.
class Error : public std::runtime_error {
  public:
    Error(coatcheck_status status, const std::string &message, std::optional<std::string> reason)
        : std::runtime_error(message), status_(status), reason_(std::move(reason)) {}

    /// The COATCHECK_* status of the failure.
    coatcheck_status status() const noexcept { return status_; }
    /// The status as a name, such as "COATCHECK_EXPIRED".
    const char *status_name() const noexcept { return coatcheck_status_name(status_); }
    /// NOT_FOUND, EXPIRED or REVOKED: the session is not there.
    bool is_not_found() const noexcept { return coatcheck_status_is_not_found(status_); }
    /// ACCESS_EXPIRED: the access token lapsed; refresh, do not sign in again.
    bool is_access_expired() const noexcept { return status_ == COATCHECK_ACCESS_EXPIRED; }
    /// For REVOKED: why the session ended ("logout", "rotated", "theft"…).
    const std::optional<std::string> &reason() const noexcept { return reason_; }

  private:
    coatcheck_status status_;
    std::optional<std::string> reason_;
};

namespace detail {

/// Throws coatcheck::Error unless `status` is COATCHECK_OK.
inline void check(coatcheck_status status) {
    if (status == COATCHECK_OK) return;
    const char *reason = coatcheck_last_error_reason();
    throw Error(status, coatcheck_last_error_message(),
                reason ? std::optional<std::string>(reason) : std::nullopt);
}

/// Takes ownership of a string coatcheck returned; NULL is nullopt.
inline std::optional<std::string> take_optional(char *text) {
    if (text == nullptr) return std::nullopt;
    std::string copy(text);
    coatcheck_string_free(text);
    return copy;
}

/// Takes ownership of a string coatcheck returned (never NULL here).
inline std::string take(char *text) { return take_optional(text).value_or(std::string()); }

/// The C string of an optional, or NULL.
inline const char *c_str(const std::optional<std::string> &text) {
    return text ? text->c_str() : nullptr;
}

inline std::uint64_t ms(std::chrono::milliseconds d) {
    return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

struct SessionFree {
    void operator()(coatcheck_session *s) const noexcept { coatcheck_session_free(s); }
};
struct SessionListFree {
    void operator()(coatcheck_session_list *l) const noexcept { coatcheck_session_list_free(l); }
};
struct TokenPairFree {
    void operator()(coatcheck_token_pair *p) const noexcept { coatcheck_token_pair_free(p); }
};
struct OptionsFree {
    void operator()(coatcheck_options *o) const noexcept { coatcheck_options_free(o); }
};
struct CreateOptionsFree {
    void operator()(coatcheck_create_options *o) const noexcept {
        coatcheck_create_options_free(o);
    }
};
struct CookieConfigFree {
    void operator()(coatcheck_cookie_config *c) const noexcept { coatcheck_cookie_config_free(c); }
};

}  // namespace detail

/// Read access to a session, owned or borrowed from a SessionList.
class SessionView {
  public:
    explicit SessionView(const coatcheck_session *raw) : raw_(raw) {}

    /// The public id: 64 lowercase hex digits.
    std::string id() const { return read_string(coatcheck_session_id); }
    /// The token: only on sessions from create, regenerate and login.
    std::optional<std::string> token() const { return read_optional(coatcheck_session_token); }
    /// The user, or nullopt for an anonymous session.
    std::optional<std::string> user() const { return read_optional(coatcheck_session_user); }
    /// All data as one JSON object.
    std::string data_json() const { return read_string(coatcheck_session_data_json); }
    /// One value as JSON text, or nullopt if the key is absent.
    std::optional<std::string> get_json(const std::string &key) const {
        char *out = nullptr;
        detail::check(coatcheck_session_get_json(raw_, key.c_str(), &out));
        return detail::take_optional(out);
    }
    /// The meta as a JSON object {"ip", "user_agent", "label"}.
    std::string meta_json() const { return read_string(coatcheck_session_meta_json); }
    std::int64_t created_at_ms() const { return read<std::int64_t>(coatcheck_session_created_at_ms); }
    std::int64_t last_access_ms() const { return read<std::int64_t>(coatcheck_session_last_access_ms); }
    std::int64_t last_update_ms() const { return read<std::int64_t>(coatcheck_session_last_update_ms); }
    std::int64_t expires_at_ms() const { return read<std::int64_t>(coatcheck_session_expires_at_ms); }
    bool remember() const { return read<bool>(coatcheck_session_remember); }
    std::uint64_t version() const { return read<std::uint64_t>(coatcheck_session_version); }
    std::size_t pending_flash() const { return read<std::size_t>(coatcheck_session_pending_flash); }
    /// The idle timeout in force for this session.
    std::chrono::milliseconds idle_timeout() const {
        return std::chrono::milliseconds(read<std::uint64_t>(coatcheck_session_idle_timeout_ms));
    }
    /// The absolute timeout in force for this session.
    std::chrono::milliseconds absolute_timeout() const {
        return std::chrono::milliseconds(
            read<std::uint64_t>(coatcheck_session_absolute_timeout_ms));
    }

    /// The C handle, for calls this wrapper does not cover.
    const coatcheck_session *raw() const noexcept { return raw_; }

  protected:
    const coatcheck_session *raw_;

  private:
    template <typename T>
    T read(coatcheck_status (*accessor)(const coatcheck_session *, T *)) const {
        T out{};
        detail::check(accessor(raw_, &out));
        return out;
    }
    std::string read_string(coatcheck_status (*accessor)(const coatcheck_session *, char **)) const {
        char *out = nullptr;
        detail::check(accessor(raw_, &out));
        return detail::take(out);
    }
    std::optional<std::string> read_optional(
        coatcheck_status (*accessor)(const coatcheck_session *, char **)) const {
        char *out = nullptr;
        detail::check(accessor(raw_, &out));
        return detail::take_optional(out);
    }
};

/// A session snapshot that owns its handle.
class Session : public SessionView {
  public:
    explicit Session(coatcheck_session *raw) : SessionView(raw), owner_(raw) {}

  private:
    std::unique_ptr<coatcheck_session, detail::SessionFree> owner_;
};

/// The sessions of a user; its views live as long as the list.
class SessionList {
  public:
    explicit SessionList(coatcheck_session_list *raw) : list_(raw) {}
    std::size_t size() const {
        std::size_t n = 0;
        detail::check(coatcheck_session_list_len(list_.get(), &n));
        return n;
    }
    SessionView operator[](std::size_t index) const {
        const coatcheck_session *item = nullptr;
        detail::check(coatcheck_session_list_get(list_.get(), index, &item));
        return SessionView(item);
    }

  private:
    std::unique_ptr<coatcheck_session_list, detail::SessionListFree> list_;
};

/// An access token and a refresh token.
class TokenPair {
  public:
    explicit TokenPair(coatcheck_token_pair *raw) : pair_(raw) {}
    std::string access() const {
        char *out = nullptr;
        detail::check(coatcheck_token_pair_access(pair_.get(), &out));
        return detail::take(out);
    }
    std::string refresh() const {
        char *out = nullptr;
        detail::check(coatcheck_token_pair_refresh(pair_.get(), &out));
        return detail::take(out);
    }
    std::int64_t access_expires_at_ms() const {
        std::int64_t out = 0;
        detail::check(coatcheck_token_pair_access_expires_at_ms(pair_.get(), &out));
        return out;
    }
    std::int64_t refresh_expires_at_ms() const {
        std::int64_t out = 0;
        detail::check(coatcheck_token_pair_refresh_expires_at_ms(pair_.get(), &out));
        return out;
    }

  private:
    std::unique_ptr<coatcheck_token_pair, detail::TokenPairFree> pair_;
};

/// The options of a store; setters chain.
class Options {
  public:
    Options() {
        coatcheck_options *raw = nullptr;
        detail::check(coatcheck_options_new(&raw));
        options_.reset(raw);
    }
    Options &idle_timeout(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_idle_timeout_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &absolute_timeout(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_absolute_timeout_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &sweep_interval(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_sweep_interval_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &durability(coatcheck_durability kind, std::chrono::milliseconds interval = {}) {
        detail::check(coatcheck_options_set_durability(raw(), kind, detail::ms(interval)));
        return *this;
    }
    /// A prefix for every token, such as "cc_"; nullopt (or "") resets to none.
    Options &token_prefix(const std::optional<std::string> &prefix) {
        detail::check(coatcheck_options_set_token_prefix(raw(), detail::c_str(prefix)));
        return *this;
    }
    Options &remember_idle_timeout(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_remember_idle_timeout_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &remember_absolute_timeout(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_remember_absolute_timeout_ms(raw(), detail::ms(d)));
        return *this;
    }
    /// COATCHECK_TTL_LAST_ACCESS (default), _LAST_UPDATE or _CREATED.
    Options &ttl_basis(coatcheck_ttl_basis basis) {
        detail::check(coatcheck_options_set_ttl_basis(raw(), basis));
        return *this;
    }
    Options &touch_interval(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_touch_interval_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &sweep_batch(std::size_t batch) {
        detail::check(coatcheck_options_set_sweep_batch(raw(), batch));
        return *this;
    }
    Options &cache_capacity(std::size_t capacity) {
        detail::check(coatcheck_options_set_cache_capacity(raw(), capacity));
        return *this;
    }
    Options &max_value_bytes(std::size_t bytes) {
        detail::check(coatcheck_options_set_max_value_bytes(raw(), bytes));
        return *this;
    }
    Options &token_bytes(std::size_t bytes) {
        detail::check(coatcheck_options_set_token_bytes(raw(), bytes));
        return *this;
    }
    Options &token_timestamp(bool enabled) {
        detail::check(coatcheck_options_set_token_timestamp(raw(), enabled));
        return *this;
    }
    Options &regenerate_on_login(bool enabled) {
        detail::check(coatcheck_options_set_regenerate_on_login(raw(), enabled));
        return *this;
    }
    Options &destroy_when_empty(bool enabled) {
        detail::check(coatcheck_options_set_destroy_when_empty(raw(), enabled));
        return *this;
    }
    Options &access_ttl(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_access_ttl_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &refresh_ttl(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_refresh_ttl_ms(raw(), detail::ms(d)));
        return *this;
    }
    Options &refresh_grace(std::chrono::milliseconds d) {
        detail::check(coatcheck_options_set_refresh_grace_ms(raw(), detail::ms(d)));
        return *this;
    }
    /// The HMAC key of access tokens (at least 32 bytes); nullopt restores
    /// the default, a random key per process.
    Options &access_key(const std::optional<std::string> &key) {
        detail::check(coatcheck_options_set_access_key(
            raw(), key ? reinterpret_cast<const std::uint8_t *>(key->data()) : nullptr,
            key ? key->size() : 0));
        return *this;
    }
    /// An older access key, accepted to verify but never used to sign.
    Options &add_retired_access_key(const std::string &key) {
        detail::check(coatcheck_options_add_retired_access_key(
            raw(), reinterpret_cast<const std::uint8_t *>(key.data()), key.size()));
        return *this;
    }
    /// Binds sessions to their client (see coatcheck_options_set_binding);
    /// 0 leaves an address family unbound.
    Options &binding(bool user_agent, std::uint8_t ipv4_prefix_bits, std::uint8_t ipv6_prefix_bits) {
        detail::check(
            coatcheck_options_set_binding(raw(), user_agent, ipv4_prefix_bits, ipv6_prefix_bits));
        return *this;
    }
    /// The session events hook (nullptr: none). It runs on a thread of
    /// coatcheck's; `user_data` must outlive every store opened with these
    /// options (see coatcheck_options_set_event_hook).
    Options &event_hook(coatcheck_event_hook hook, void *user_data) {
        detail::check(coatcheck_options_set_event_hook(raw(), hook, user_data));
        return *this;
    }
    Options &max_sessions_per_user(std::size_t max) {
        detail::check(coatcheck_options_set_max_sessions_per_user(raw(), max));
        return *this;
    }
    /// Shared mode: the worker processes of one machine open the same file,
    /// each after fork (see coatcheck_options_set_shared).
    Options &shared(bool shared) {
        detail::check(coatcheck_options_set_shared(raw(), shared));
        return *this;
    }
    /// For tests: a manual clock starting at `start_ms` since the epoch.
    Options &manual_clock(std::int64_t start_ms) {
        detail::check(coatcheck_options_set_manual_clock_ms(raw(), start_ms));
        return *this;
    }
    /// The C handle, for the setters this wrapper does not name.
    coatcheck_options *raw() const noexcept { return options_.get(); }

  private:
    std::unique_ptr<coatcheck_options, detail::OptionsFree> options_;
};

/// What to create a session with; setters chain.
class CreateOptions {
  public:
    CreateOptions() {
        coatcheck_create_options *raw = nullptr;
        detail::check(coatcheck_create_options_new(&raw));
        options_.reset(raw);
    }
    CreateOptions &user(const std::string &user) {
        detail::check(coatcheck_create_options_set_user(raw(), user.c_str()));
        return *this;
    }
    CreateOptions &data_json(const std::string &json) {
        detail::check(coatcheck_create_options_set_data_json(raw(), json.c_str()));
        return *this;
    }
    CreateOptions &remember(bool remember) {
        detail::check(coatcheck_create_options_set_remember(raw(), remember));
        return *this;
    }
    CreateOptions &lifetime(std::chrono::milliseconds idle, std::chrono::milliseconds absolute) {
        detail::check(
            coatcheck_create_options_set_lifetime_ms(raw(), detail::ms(idle), detail::ms(absolute)));
        return *this;
    }
    /// Where the session comes from (shown on a "your devices" page).
    CreateOptions &meta(const std::optional<std::string> &ip,
                        const std::optional<std::string> &user_agent,
                        const std::optional<std::string> &label = std::nullopt) {
        detail::check(coatcheck_create_options_set_meta(raw(), detail::c_str(ip),
                                                        detail::c_str(user_agent),
                                                        detail::c_str(label)));
        return *this;
    }
    coatcheck_create_options *raw() const noexcept { return options_.get(); }

  private:
    std::unique_ptr<coatcheck_create_options, detail::CreateOptionsFree> options_;
};

/// How the session cookie is written and read.
class CookieConfig {
  public:
    CookieConfig() {
        coatcheck_cookie_config *raw = nullptr;
        detail::check(coatcheck_cookie_config_new(&raw));
        config_.reset(raw);
    }
    CookieConfig &name(const std::string &name) {
        detail::check(coatcheck_cookie_config_set_name(raw(), name.c_str()));
        return *this;
    }
    /// Signs the cookie with `key` (at least 32 bytes), added after any
    /// earlier keys: the first key signs, every key verifies.
    CookieConfig &signed_with(const std::string &key) {
        signed_cookie(true);
        return add_key(key);
    }
    /// Whether the cookie value is signed (needs a key: add_key).
    CookieConfig &signed_cookie(bool enabled) {
        detail::check(coatcheck_cookie_config_set_signed(raw(), enabled));
        return *this;
    }
    /// Appends a signing key (at least 32 bytes).
    CookieConfig &add_key(const std::string &key) {
        detail::check(coatcheck_cookie_config_add_key(
            raw(), reinterpret_cast<const std::uint8_t *>(key.data()), key.size()));
        return *this;
    }
    /// The Domain attribute; nullopt (the default) means this host only.
    CookieConfig &domain(const std::optional<std::string> &domain) {
        detail::check(coatcheck_cookie_config_set_domain(raw(), detail::c_str(domain)));
        return *this;
    }
    /// The name of the JavaScript-readable CSRF cookie (default XSRF-TOKEN).
    CookieConfig &csrf_cookie_name(const std::string &name) {
        detail::check(coatcheck_cookie_config_set_csrf_cookie_name(raw(), name.c_str()));
        return *this;
    }
    /// The Secure attribute (default true; false for plain-HTTP local use).
    CookieConfig &secure(bool secure) {
        detail::check(coatcheck_cookie_config_set_secure(raw(), secure));
        return *this;
    }
    /// The HttpOnly attribute (default true).
    CookieConfig &http_only(bool http_only) {
        detail::check(coatcheck_cookie_config_set_http_only(raw(), http_only));
        return *this;
    }
    /// The SameSite attribute: COATCHECK_SAME_SITE_LAX (default), _STRICT or _NONE.
    CookieConfig &same_site(coatcheck_same_site same_site) {
        detail::check(coatcheck_cookie_config_set_same_site(raw(), same_site));
        return *this;
    }
    /// The Path attribute (default "/").
    CookieConfig &path(const std::string &path) {
        detail::check(coatcheck_cookie_config_set_path(raw(), path.c_str()));
        return *this;
    }
    std::string set_cookie(const SessionView &session) const {
        char *out = nullptr;
        detail::check(coatcheck_http_set_cookie(raw(), session.raw(), &out));
        return detail::take(out);
    }
    /// The Set-Cookie value for `token`, with `session`'s lifetime.
    std::string set_cookie_for(const std::string &token, const SessionView &session) const {
        char *out = nullptr;
        detail::check(coatcheck_http_set_cookie_for(raw(), token.c_str(), session.raw(), &out));
        return detail::take(out);
    }
    /// The Set-Cookie value of the CSRF cookie holding `csrf_token`
    /// (from Store::csrf_token).
    std::string csrf_cookie(const std::string &csrf_token) const {
        char *out = nullptr;
        detail::check(coatcheck_http_csrf_cookie(raw(), csrf_token.c_str(), &out));
        return detail::take(out);
    }
    std::string clear_cookie() const {
        char *out = nullptr;
        detail::check(coatcheck_http_clear_cookie(raw(), &out));
        return detail::take(out);
    }
    std::optional<std::string> token_from_cookie_header(const std::string &header) const {
        char *out = nullptr;
        detail::check(coatcheck_http_token_from_cookie_header(raw(), header.c_str(), &out));
        return detail::take_optional(out);
    }
    /// Every session token in the header, in the browser's order (cookie
    /// tossing: use the first whose session lives).
    std::vector<std::string> token_candidates_from_cookie_header(const std::string &header) const {
        char *out = nullptr;
        detail::check(
            coatcheck_http_token_candidates_from_cookie_header(raw(), header.c_str(), &out));
        // A JSON array of base64url strings: no escapes inside the quotes.
        std::string json = detail::take(out);
        std::vector<std::string> tokens;
        for (size_t open = json.find('"'); open != std::string::npos;) {
            size_t close = json.find('"', open + 1);
            if (close == std::string::npos) break;
            tokens.push_back(json.substr(open + 1, close - open - 1));
            open = json.find('"', close + 1);
        }
        return tokens;
    }
    coatcheck_cookie_config *raw() const noexcept { return config_.get(); }

  private:
    std::unique_ptr<coatcheck_cookie_config, detail::CookieConfigFree> config_;
};

/// The library's version, such as "0.1.0".
inline std::string version() { return coatcheck_version(); }

/// Whether the linked library has the ABI of this header: check at start-up.
inline bool abi_matches() noexcept { return coatcheck_abi_version() == COATCHECK_ABI_VERSION; }

/// The bearer token of an Authorization header value, if any.
inline std::optional<std::string> token_from_authorization(const std::string &header) {
    char *out = nullptr;
    detail::check(coatcheck_http_token_from_authorization(header.c_str(), &out));
    return detail::take_optional(out);
}

/// An open store. Movable, not copyable; closes when destroyed.
class Store {
  public:
    static Store open(const std::string &path, const Options *options = nullptr) {
        coatcheck_store *raw = nullptr;
        detail::check(coatcheck_store_open(path.c_str(), options ? options->raw() : nullptr, &raw));
        return Store(raw);
    }
    static Store in_memory(const Options *options = nullptr) {
        coatcheck_store *raw = nullptr;
        detail::check(coatcheck_store_open_in_memory(options ? options->raw() : nullptr, &raw));
        return Store(raw);
    }
    /// Repairs the store file at `path` (no process may have it open) and
    /// returns the JSON report (see coatcheck_store_repair): nothing changes
    /// if it is sound; otherwise intact sessions are salvaged into a new file
    /// and the damaged one is kept beside it.
    static std::string repair(const std::string &path, const Options *options = nullptr) {
        char *out = nullptr;
        detail::check(
            coatcheck_store_repair(path.c_str(), options ? options->raw() : nullptr, &out));
        return detail::take(out);
    }

    Store(Store &&other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
    Store &operator=(Store &&other) noexcept {
        if (this != &other) {
            coatcheck_store_close(&store_);
            store_ = std::exchange(other.store_, nullptr);
        }
        return *this;
    }
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;
    ~Store() { coatcheck_store_close(&store_); }

    /// Flushes, stops the sweeper, releases the file; throws if the flush fails.
    void close() { detail::check(coatcheck_store_close(&store_)); }
    void flush() { detail::check(coatcheck_store_flush(store_)); }

    Session create(const CreateOptions *options = nullptr) {
        coatcheck_session *out = nullptr;
        detail::check(coatcheck_store_create(store_, options ? options->raw() : nullptr, &out));
        return Session(out);
    }
    Session get(const std::string &token) { return session_call(coatcheck_store_get, token); }
    Session peek(const std::string &token) { return session_call(coatcheck_store_peek, token); }
    Session regenerate(const std::string &token) {
        return session_call(coatcheck_store_regenerate, token);
    }
    Session login(const std::string &token, const std::string &user) {
        coatcheck_session *out = nullptr;
        detail::check(coatcheck_store_login(store_, token.c_str(), user.c_str(), &out));
        return Session(out);
    }
    void set_json(const std::string &token, const std::string &key, const std::string &json) {
        detail::check(coatcheck_store_set_json(store_, token.c_str(), key.c_str(), json.c_str()));
    }
    /// Applies a batch of changes in one atomic write and one commit:
    /// `{"set": {...}, "remove": [...], "flash": {...}, "lifetime":
    /// {"idle_ms": n, "absolute_ms": n} or null, "remember": bool}`.
    /// A bad batch throws and changes nothing.
    void apply_json(const std::string &token, const std::string &changes_json) {
        detail::check(coatcheck_store_apply_json(store_, token.c_str(), changes_json.c_str()));
    }
    std::optional<std::string> remove(const std::string &token, const std::string &key) {
        char *old = nullptr;
        detail::check(coatcheck_store_remove(store_, token.c_str(), key.c_str(), &old));
        return detail::take_optional(old);
    }
    std::uint64_t replace_if_json(const std::string &token, std::uint64_t version,
                                  const std::string &data_json) {
        std::uint64_t out = 0;
        detail::check(coatcheck_store_replace_if_json(store_, token.c_str(), version,
                                                      data_json.c_str(), &out));
        return out;
    }
    bool destroy(const std::string &token) {
        bool ended = false;
        detail::check(coatcheck_store_destroy(store_, token.c_str(), &ended));
        return ended;
    }
    bool logout(const std::string &token) {
        bool ended = false;
        detail::check(coatcheck_store_logout(store_, token.c_str(), &ended));
        return ended;
    }
    void flash_json(const std::string &token, const std::string &key, const std::string &json) {
        detail::check(coatcheck_store_flash_json(store_, token.c_str(), key.c_str(), json.c_str()));
    }
    std::string take_flash_json(const std::string &token) {
        char *out = nullptr;
        detail::check(coatcheck_store_take_flash_json(store_, token.c_str(), &out));
        return detail::take(out);
    }
    SessionList sessions_of(const std::string &user) {
        coatcheck_session_list *out = nullptr;
        detail::check(coatcheck_store_sessions_of(store_, user.c_str(), &out));
        return SessionList(out);
    }
    std::vector<std::string> users(const std::optional<std::string> &after, std::size_t limit) {
        coatcheck_string_list *list = nullptr;
        detail::check(
            coatcheck_store_users(store_, after ? after->c_str() : nullptr, limit, &list));
        std::unique_ptr<coatcheck_string_list, void (*)(coatcheck_string_list *)> owner(
            list, coatcheck_string_list_free);
        std::size_t n = 0;
        detail::check(coatcheck_string_list_len(list, &n));
        std::vector<std::string> result;
        result.reserve(n);
        for (std::size_t i = 0; i < n; i++) {
            char *item = nullptr;
            detail::check(coatcheck_string_list_get(list, i, &item));
            result.push_back(detail::take(item));
        }
        return result;
    }
    std::size_t destroy_user(const std::string &user) {
        std::size_t n = 0;
        detail::check(coatcheck_store_destroy_user(store_, user.c_str(), &n));
        return n;
    }
    std::uint64_t count() {
        std::uint64_t n = 0;
        detail::check(coatcheck_store_count(store_, &n));
        return n;
    }
    /// How many users have at least one live session.
    std::uint64_t count_users() {
        std::uint64_t n = 0;
        detail::check(coatcheck_store_count_users(store_, &n));
        return n;
    }
    /// The store's counters as one JSON object (sessions, users, file_bytes,
    /// commits, …; see coatcheck_store_stats_json).
    std::string stats_json() {
        char *out = nullptr;
        detail::check(coatcheck_store_stats_json(store_, &out));
        return detail::take(out);
    }
    /// Walks every record and index, changing nothing; the JSON report of
    /// coatcheck_store_check_json (sound when "problems" is empty).
    std::string check_json() {
        char *out = nullptr;
        detail::check(coatcheck_store_check_json(store_, &out));
        return detail::take(out);
    }
    /// Gives the session a lifetime of its own, counted from its creation.
    void set_lifetime(const std::string &token, std::chrono::milliseconds idle,
                      std::chrono::milliseconds absolute) {
        detail::check(coatcheck_store_set_lifetime_ms(store_, token.c_str(), detail::ms(idle),
                                                      detail::ms(absolute)));
    }
    /// Replaces the session's meta (IP address, User-Agent, label).
    void set_meta(const std::string &token, const std::optional<std::string> &ip,
                  const std::optional<std::string> &user_agent,
                  const std::optional<std::string> &label = std::nullopt) {
        detail::check(coatcheck_store_set_meta(store_, token.c_str(), detail::c_str(ip),
                                               detail::c_str(user_agent), detail::c_str(label)));
    }
    std::size_t sweep() {
        std::size_t n = 0;
        detail::check(coatcheck_store_sweep(store_, &n));
        return n;
    }
    std::string csrf_token(const std::string &token) {
        char *out = nullptr;
        detail::check(coatcheck_store_csrf_token(store_, token.c_str(), &out));
        return detail::take(out);
    }
    bool verify_csrf(const std::string &token, const std::string &candidate) {
        bool ok = false;
        detail::check(coatcheck_store_verify_csrf(store_, token.c_str(), candidate.c_str(), &ok));
        return ok;
    }
    /// `get` for a request from `ip` with `user_agent` (nullptr: none):
    /// with binding, another client ends the session.
    Session get_from(const std::string &token, const char *ip, const char *user_agent) {
        coatcheck_session *out = nullptr;
        detail::check(coatcheck_store_get_from(store_, token.c_str(), ip, user_agent, &out));
        return Session(out);
    }
    /// Ends every token pair of the session; whether one was live.
    bool revoke_pairs(const std::string &token) {
        bool revoked = false;
        detail::check(coatcheck_store_revoke_pairs(store_, token.c_str(), &revoked));
        return revoked;
    }
    /// After a password change: the user's other sessions and this one's
    /// pairs end; this session gets a new token.
    Session revoke_others_and_regenerate(const std::string &token) {
        return session_call(coatcheck_store_revoke_others_and_regenerate, token);
    }
    /// Ends session `id` only if it belongs to `user` ("your devices").
    bool destroy_user_session(const std::string &user, const std::string &id) {
        bool ended = false;
        detail::check(
            coatcheck_store_destroy_user_session(store_, user.c_str(), id.c_str(), &ended));
        return ended;
    }
    TokenPair issue_pair(const std::string &token) {
        coatcheck_token_pair *out = nullptr;
        detail::check(coatcheck_store_issue_pair(store_, token.c_str(), &out));
        return TokenPair(out);
    }
    TokenPair refresh(const std::string &refresh_token) {
        coatcheck_token_pair *out = nullptr;
        detail::check(coatcheck_store_refresh(store_, refresh_token.c_str(), &out));
        return TokenPair(out);
    }
    Session verify_access(const std::string &access) {
        return session_call(coatcheck_store_verify_access, access);
    }
    /// Ends every session of `user` but the one with id `keep_id` ("log out
    /// other devices", or after a password reset); how many ended.
    std::size_t destroy_user_except(const std::string &user, const std::string &keep_id) {
        std::size_t n = 0;
        detail::check(
            coatcheck_store_destroy_user_except(store_, user.c_str(), keep_id.c_str(), &n));
        return n;
    }
    /// Ends the session with this public id (admin); whether one ended.
    /// For a "your devices" page, check the id is among sessions_of(user) first.
    bool destroy_id(const std::string &id) {
        bool ended = false;
        detail::check(coatcheck_store_destroy_id(store_, id.c_str(), &ended));
        return ended;
    }
    /// The session with this public id (admin), without marking it used.
    Session info(const std::string &id) { return session_call(coatcheck_store_info, id); }
    /// Turns "keep me signed in" on or off (long or default lifetime).
    void set_remember(const std::string &token, bool remember) {
        detail::check(coatcheck_store_set_remember(store_, token.c_str(), remember));
    }
    /// For tests: moves a manual clock (Options::manual_clock) forward.
    void advance_clock(std::chrono::milliseconds d) {
        detail::check(coatcheck_store_advance_clock_ms(store_, detail::ms(d)));
    }
    /// The C handle, for calls this wrapper does not cover.
    coatcheck_store *raw() const noexcept { return store_; }

  private:
    explicit Store(coatcheck_store *raw) : store_(raw) {}
    Session session_call(coatcheck_status (*call)(const coatcheck_store *, const char *,
                                                  coatcheck_session **),
                         const std::string &text) {
        coatcheck_session *out = nullptr;
        detail::check(call(store_, text.c_str(), &out));
        return Session(out);
    }

    coatcheck_store *store_;
};

}  // namespace coatcheck

#endif  // COATCHECK_HPP
