// The C++ server's settings, read once from the environment: the same names
// and defaults as the Python app (examples/learn_sessions/README.md).
#ifndef LEARN_SESSIONS_SETTINGS_HPP
#define LEARN_SESSIONS_SETTINGS_HPP

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace learn_sessions {

/// Random bytes from the OS (getrandom), as a string.
inline std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::size_t filled = 0;
    while (filled < n) {
        ssize_t got = getrandom(&out[filled], n - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("getrandom failed");
        }
        filled += static_cast<std::size_t>(got);
    }
    return out;
}

inline std::string hex(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

struct Settings {
    std::string host = "127.0.0.1";
    int port = 3334;
    std::string data_dir;
    std::string otp_file;
    std::string secret_key;
    bool debug = false;
    std::string cookie_secure = "auto";  // auto (by scheme), always, never
    bool test_clock = false;
    std::uint32_t argon2_memory_kib = 65536;
    long rate_window_seconds = 60;
    long auth_per_account = 5;
    long auth_per_address = 30;
    long recovery_per_account = 3;
    long recovery_per_address = 10;
    long recovery_ttl_seconds = 15 * 60;
    long recovery_attempts = 5;

    std::string users_db() const { return data_dir + "/users.sqlite3"; }
    std::string sessions_file() const { return data_dir + "/sessions.redb"; }

    /// Reads the environment; throws std::invalid_argument naming a bad setting.
    static Settings from_env() {
        Settings s;
        s.data_dir = text("DATA_DIR", "learn-sessions-data-cpp");
        if (mkdir(s.data_dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::invalid_argument("DATA_DIR: cannot create " + s.data_dir);
        s.otp_file = text("OTP_FILE", s.data_dir + "/otp.jsonl");
        s.debug = flag("DEBUG");
        s.test_clock = flag("TEST_CLOCK");
        s.cookie_secure = text("COOKIE_SECURE", "auto");
        if (s.cookie_secure != "auto" && s.cookie_secure != "always" && s.cookie_secure != "never")
            throw std::invalid_argument("COOKIE_SECURE must be auto, always or never");
        s.host = text("HOST", "127.0.0.1");
        s.port = static_cast<int>(number("PORT", 3334, 1));
        s.argon2_memory_kib = static_cast<std::uint32_t>(number("ARGON2_MEMORY_KIB", 65536, 8));
        s.rate_window_seconds = number("RATE_WINDOW_SECONDS", 60, 1);
        s.auth_per_account = number("AUTH_PER_ACCOUNT", 5, 1);
        s.auth_per_address = number("AUTH_PER_ADDRESS", 30, 1);
        s.recovery_per_account = number("RECOVERY_PER_ACCOUNT", 3, 1);
        s.recovery_per_address = number("RECOVERY_PER_ADDRESS", 10, 1);
        s.secret_key = secret(s.data_dir);
        return s;
    }

  private:
    static std::string text(const char *name, const std::string &fallback) {
        const char *value = std::getenv(name);
        return value ? std::string(value) : fallback;
    }
    static bool flag(const char *name) {
        std::string v = text(name, "");
        return v == "1" || v == "true" || v == "yes" || v == "on";
    }
    static long number(const char *name, long fallback, long minimum) {
        const char *value = std::getenv(name);
        if (!value) return fallback;
        char *end = nullptr;
        errno = 0;
        long n = std::strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0')
            throw std::invalid_argument(std::string(name) + " must be a whole number");
        if (n < minimum)
            throw std::invalid_argument(std::string(name) + " must be at least " +
                                        std::to_string(minimum));
        return n;
    }
    /// SECRET_KEY (32+ bytes), or DATA_DIR/secret.key, made once (mode 0600).
    static std::string secret(const std::string &dir) {
        if (const char *given = std::getenv("SECRET_KEY")) {
            std::string key(given);
            if (key.size() < 32) throw std::invalid_argument("SECRET_KEY must be at least 32 bytes");
            return key;
        }
        std::string path = dir + "/secret.key";
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            std::string key = hex(random_bytes(32));
            bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
            ::close(fd);
            if (!written) throw std::runtime_error("cannot write " + path);
            return key;
        }
        std::ifstream in(path);
        std::stringstream key;
        key << in.rdbuf();
        std::string value = key.str();
        while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
        if (value.size() < 32) throw std::runtime_error(path + " holds no key of 32+ bytes");
        return value;
    }
};

}  // namespace learn_sessions

#endif
