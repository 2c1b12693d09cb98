// Users and password-recovery requests in SQLite, the same schema as the
// Python app's. One connection, one mutex: the server is one process whose
// thread pool takes turns here (sessions are coatcheck's, not here).
#ifndef LEARN_SESSIONS_DATABASE_HPP
#define LEARN_SESSIONS_DATABASE_HPP

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace learn_sessions {

struct User {
    std::string id;
    std::string name;
    std::string email;
    std::optional<std::string> display_name;
    std::string password_hash;
    bool keep_signed_in = false;
    std::string created_at;
};

struct Recovery {
    std::string id;
    std::string user_id;
    std::string code_hash;
    std::int64_t expires_at_ms = 0;
    int attempts_left = 0;
};

class Database {
  public:
    explicit Database(const std::string &path) {
        if (sqlite3_open_v2(path.c_str(), &db_,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            nullptr) != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("cannot open " + path + ": " + message);
        }
        sqlite3_busy_timeout(db_, 10000);
        exec("PRAGMA journal_mode=WAL");
        exec(R"(
            CREATE TABLE IF NOT EXISTS users (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                display_name TEXT,
                password_hash TEXT NOT NULL,
                keep_signed_in INTEGER NOT NULL,
                created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS recoveries (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id),
                code_mac TEXT NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                attempts_left INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'used', 'spent')));
            CREATE INDEX IF NOT EXISTS recoveries_by_user ON recoveries(user_id, state);)");
    }
    ~Database() { sqlite3_close(db_); }
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// False when the name or e-mail is taken (in any case).
    bool add_user(const User &u) {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement st(db_, "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)");
        st.bind(1, u.id).bind(2, u.name).bind(3, u.email).bind(4, u.display_name);
        st.bind(5, u.password_hash).bind(6, static_cast<std::int64_t>(u.keep_signed_in));
        st.bind(7, u.created_at);
        int rc = st.step();
        if (rc == SQLITE_CONSTRAINT) return false;
        st.done(rc);
        return true;
    }

    /// The user whose `column` (id, name or email) is `value`, in any case.
    std::optional<User> user_by(const char *column, const std::string &value) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::string sql = std::string("SELECT * FROM users WHERE ") + column + " = ?";
        Statement st(db_, sql.c_str());
        st.bind(1, value);
        if (st.step() != SQLITE_ROW) return std::nullopt;
        return read_user(st);
    }

    std::vector<User> all_users() {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement st(db_, "SELECT * FROM users ORDER BY created_at, name");
        std::vector<User> users;
        while (st.step() == SQLITE_ROW) users.push_back(read_user(st));
        return users;
    }

    void set_password(const std::string &user_id, const std::string &hash) {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement st(db_, "UPDATE users SET password_hash = ? WHERE id = ?");
        st.bind(1, hash).bind(2, user_id);
        st.done(st.step());
    }

    void set_keep_signed_in(const std::string &user_id, bool keep) {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement st(db_, "UPDATE users SET keep_signed_in = ? WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(keep)).bind(2, user_id);
        st.done(st.step());
    }

    /// Records a pending request unless the user has an unexpired one.
    bool start_recovery(const Recovery &r, std::int64_t now_ms) {
        std::lock_guard<std::mutex> lock(mutex_);
        Transaction tx(*this);
        {
            Statement st(db_,
                         "SELECT 1 FROM recoveries WHERE user_id = ? AND state = 'pending'"
                         " AND expires_at_ms > ?");
            st.bind(1, r.user_id).bind(2, now_ms);
            if (st.step() == SQLITE_ROW) return false;
        }
        {
            Statement st(db_,
                         "UPDATE recoveries SET state = 'spent' WHERE user_id = ? AND state = 'pending'");
            st.bind(1, r.user_id);
            st.done(st.step());
        }
        Statement st(db_, "INSERT INTO recoveries VALUES (?, ?, ?, ?, ?, 'pending')");
        st.bind(1, r.id).bind(2, r.user_id).bind(3, r.code_hash).bind(4, r.expires_at_ms);
        st.bind(5, static_cast<std::int64_t>(r.attempts_left));
        st.done(st.step());
        tx.commit();
        return true;
    }

    /// Spends one attempt of a pending, unexpired request; the request as
    /// it was, or nullopt.
    std::optional<Recovery> take_recovery_attempt(const std::string &id, std::int64_t now_ms) {
        std::lock_guard<std::mutex> lock(mutex_);
        Transaction tx(*this);
        Recovery r;
        {
            Statement st(db_,
                         "SELECT id, user_id, code_mac, expires_at_ms, attempts_left FROM recoveries"
                         " WHERE id = ? AND state = 'pending' AND expires_at_ms > ?");
            st.bind(1, id).bind(2, now_ms);
            if (st.step() != SQLITE_ROW) return std::nullopt;
            r = Recovery{st.text(0), st.text(1), st.text(2), st.integer(3),
                         static_cast<int>(st.integer(4))};
        }
        int left = r.attempts_left - 1;
        Statement st(db_, "UPDATE recoveries SET attempts_left = ?, state = ? WHERE id = ?");
        st.bind(1, static_cast<std::int64_t>(left)).bind(2, std::string(left > 0 ? "pending" : "spent"));
        st.bind(3, id);
        st.done(st.step());
        tx.commit();
        return r;
    }

    /// Marks a request used; false if it was not pending (a code works once).
    bool finish_recovery(const std::string &id) {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement st(db_, "UPDATE recoveries SET state = 'used' WHERE id = ? AND state = 'pending'");
        st.bind(1, id);
        st.done(st.step());
        return sqlite3_changes(db_) == 1;
    }

  private:
    class Statement {
      public:
        Statement(sqlite3 *db, const char *sql) : db_(db) {
            if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
                throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
        }
        ~Statement() { sqlite3_finalize(st_); }
        Statement &bind(int i, const std::string &v) {
            sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
            return *this;
        }
        Statement &bind(int i, const std::optional<std::string> &v) {
            if (v) return bind(i, *v);
            sqlite3_bind_null(st_, i);
            return *this;
        }
        Statement &bind(int i, std::int64_t v) {
            sqlite3_bind_int64(st_, i, v);
            return *this;
        }
        int step() { return sqlite3_step(st_); }
        void done(int rc) {
            if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
        }
        std::string text(int col) {
            const unsigned char *t = sqlite3_column_text(st_, col);
            return t ? std::string(reinterpret_cast<const char *>(t)) : std::string();
        }
        bool is_null(int col) { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
        std::int64_t integer(int col) { return sqlite3_column_int64(st_, col); }

      private:
        sqlite3 *db_;
        sqlite3_stmt *st_ = nullptr;
    };

    /// BEGIN IMMEDIATE … COMMIT, rolled back unless committed.
    class Transaction {
      public:
        explicit Transaction(Database &db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
        void commit() {
            db_.exec("COMMIT");
            open_ = false;
        }
        ~Transaction() {
            if (open_) sqlite3_exec(db_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }

      private:
        Database &db_;
        bool open_ = true;
    };

    void exec(const char *sql) {
        char *error = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error("sqlite: " + message);
        }
    }

    static User read_user(Statement &st) {
        User u;
        u.id = st.text(0);
        u.name = st.text(1);
        u.email = st.text(2);
        if (!st.is_null(3)) u.display_name = st.text(3);
        u.password_hash = st.text(4);
        u.keep_signed_in = st.integer(5) != 0;
        u.created_at = st.text(6);
        return u;
    }

    sqlite3 *db_ = nullptr;
    std::mutex mutex_;
};

}  // namespace learn_sessions

#endif
