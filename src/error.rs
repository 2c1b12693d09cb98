//! The one error type of coatcheck, and its kinds.
//!
//! Every failure is an [`Error`]: it names the operation that was asked
//! (`"get"`, `"login"`, `"open"`…) and says why it failed. Code that only
//! needs to branch uses [`Error::kind`], which the C and Python faces map one
//! to one onto their status codes and exception classes.

use std::fmt;
use std::path::PathBuf;

use crate::clock::Timestamp;

/// A `Result` whose error is coatcheck's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
///
/// `Expired` and `Revoked` are kinds of "not found": [`Error::is_not_found`]
/// is true for all three, so code that only cares whether a session is there
/// checks one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No session (or record) exists under that token or id.
    NotFound,
    /// The session existed but its lifetime ran out.
    Expired,
    /// The session was ended on purpose; [`Error::end_reason`] says why.
    Revoked,
    /// A spent refresh token was presented again: the session was revoked.
    TokenReuse,
    /// An optimistic write found that the session's version had moved.
    Conflict,
    /// The token is malformed (empty, too long, wrong alphabet or prefix).
    InvalidToken,
    /// An argument or a configuration value is out of range.
    InvalidArgument,
    /// The store file is owned by another `Store` (in this or another process).
    Locked,
    /// The file is not a coatcheck store, was written by a newer version, or is damaged.
    Corrupt,
    /// The operating system refused a file operation.
    Io,
    /// The storage engine failed, or the store is closed or was inherited through `fork()`.
    Storage,
    /// An access token's own lifetime ran out (its `exp` passed) while its
    /// session may well live on: the client calls `refresh`, it does not
    /// sign in again. Not a kind of not found.
    AccessExpired,
}

impl ErrorKind {
    /// A stable, lowercase name for the kind (`"not_found"`, `"token_reuse"`…).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Expired => "expired",
            ErrorKind::Revoked => "revoked",
            ErrorKind::TokenReuse => "token_reuse",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Locked => "locked",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Io => "io",
            ErrorKind::Storage => "storage",
            ErrorKind::AccessExpired => "access_expired",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a session ended before its lifetime ran out.
///
/// [`Store::get`](crate::Store::get) on such a session reports
/// [`ErrorKind::Revoked`] with this reason until the session would have
/// expired anyway, so that an app can tell "you were signed out on another
/// device" from "your session timed out".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum EndReason {
    /// `destroy` or `logout` through this session's token.
    Logout,
    /// `destroy_user` / `destroy_user_except`: "log out everywhere".
    LogoutEverywhere,
    /// Evicted as the least recently used session of a user over `max_sessions_per_user`.
    Evicted,
    /// A spent refresh token was replayed: the session was presumed stolen.
    Theft,
    /// The token was replaced by `regenerate` or `login`.
    Rotated,
    /// Ended by an administrator through `destroy_id`.
    Admin,
    /// The session is bound to its client ([`Config::binding`](crate::Config::binding))
    /// and was presented with another user agent or IP prefix.
    BindingMismatch,
}

impl EndReason {
    /// The reason as the lowercase word the C and Python faces use.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::LogoutEverywhere => "logout_everywhere",
            EndReason::Evicted => "evicted",
            EndReason::Theft => "theft",
            EndReason::Rotated => "rotated",
            EndReason::Admin => "admin",
            EndReason::BindingMismatch => "binding_mismatch",
        }
    }
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The details behind an [`Error`].
#[derive(Debug)]
enum Repr {
    NotFound {
        what: &'static str,
    },
    Expired {
        what: &'static str,
        at: Timestamp,
    },
    Revoked {
        reason: EndReason,
    },
    TokenReuse,
    Conflict {
        expected: u64,
        actual: u64,
    },
    InvalidToken {
        why: &'static str,
    },
    InvalidArgument {
        message: String,
    },
    Locked {
        path: PathBuf,
    },
    Corrupt {
        message: String,
    },
    Io {
        message: String,
        source: std::io::Error,
    },
    Storage {
        message: String,
    },
    AccessExpired {
        at: Timestamp,
    },
}

/// The error of every coatcheck operation.
///
/// It carries the name of the operation that failed and a message that says
/// why; it never contains a token or any other secret.
///
/// ```
/// # use coatcheck::{Config, ErrorKind, Store};
/// let store = Store::in_memory(Config::default())?;
/// let err = store.get("cc_not-a-real-token-but-well-formed-abcdefgh").unwrap_err();
/// assert!(err.is_not_found());
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "get: no session with this token or id");
/// # Ok::<(), coatcheck::Error>(())
/// ```
pub struct Error {
    op: &'static str,
    repr: Box<Repr>,
}

impl Error {
    fn new(repr: Repr) -> Error {
        Error {
            op: "",
            repr: Box::new(repr),
        }
    }

    /// Names the operation that failed, unless one is named already. For
    /// faces and adapters that call helpers such as
    /// [`Value::from_json_str`](crate::Value::from_json_str) on behalf of an
    /// operation of their own.
    ///
    /// ```
    /// let err = coatcheck::Value::from_json_str("{").unwrap_err().during("set_json");
    /// assert!(err.to_string().starts_with("set_json: invalid argument: invalid JSON"));
    /// ```
    pub fn during(mut self, op: &'static str) -> Error {
        if self.op.is_empty() {
            self.op = op;
        }
        self
    }

    pub(crate) fn not_found(what: &'static str) -> Error {
        Error::new(Repr::NotFound { what })
    }

    pub(crate) fn expired(at: Timestamp) -> Error {
        Error::new(Repr::Expired {
            what: "session",
            at,
        })
    }

    /// A refresh token (`what`) whose own lifetime ran out: the client
    /// signs in again, as for an expired session.
    pub(crate) fn token_expired(what: &'static str, at: Timestamp) -> Error {
        Error::new(Repr::Expired { what, at })
    }

    /// An access token whose own lifetime ran out: the client refreshes.
    pub(crate) fn access_expired(at: Timestamp) -> Error {
        Error::new(Repr::AccessExpired { at })
    }

    pub(crate) fn revoked(reason: EndReason) -> Error {
        Error::new(Repr::Revoked { reason })
    }

    pub(crate) fn token_reuse() -> Error {
        Error::new(Repr::TokenReuse)
    }

    pub(crate) fn conflict(expected: u64, actual: u64) -> Error {
        Error::new(Repr::Conflict { expected, actual })
    }

    pub(crate) fn invalid_token(why: &'static str) -> Error {
        Error::new(Repr::InvalidToken { why })
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Repr::InvalidArgument {
            message: message.into(),
        })
    }

    pub(crate) fn locked(path: PathBuf) -> Error {
        Error::new(Repr::Locked { path })
    }

    pub(crate) fn corrupt(message: impl Into<String>) -> Error {
        Error::new(Repr::Corrupt {
            message: message.into(),
        })
    }

    pub(crate) fn io(message: impl Into<String>, source: std::io::Error) -> Error {
        Error::new(Repr::Io {
            message: message.into(),
            source,
        })
    }

    pub(crate) fn storage(message: impl Into<String>) -> Error {
        Error::new(Repr::Storage {
            message: message.into(),
        })
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match &*self.repr {
            Repr::NotFound { .. } => ErrorKind::NotFound,
            Repr::Expired { .. } => ErrorKind::Expired,
            Repr::Revoked { .. } => ErrorKind::Revoked,
            Repr::TokenReuse => ErrorKind::TokenReuse,
            Repr::Conflict { .. } => ErrorKind::Conflict,
            Repr::InvalidToken { .. } => ErrorKind::InvalidToken,
            Repr::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Repr::Locked { .. } => ErrorKind::Locked,
            Repr::Corrupt { .. } => ErrorKind::Corrupt,
            Repr::Io { .. } => ErrorKind::Io,
            Repr::Storage { .. } => ErrorKind::Storage,
            Repr::AccessExpired { .. } => ErrorKind::AccessExpired,
        }
    }

    /// True for `NotFound`, `Expired` and `Revoked`: the session is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::NotFound | ErrorKind::Expired | ErrorKind::Revoked
        )
    }

    /// The operation that failed (`"get"`, `"open"`…), or `""` if unknown.
    pub fn operation(&self) -> &'static str {
        self.op
    }

    /// Why the session ended, for `Revoked` errors.
    pub fn end_reason(&self) -> Option<EndReason> {
        match &*self.repr {
            Repr::Revoked { reason } => Some(*reason),
            _ => None,
        }
    }

    /// When the session expired, for `Expired` errors.
    pub fn expired_at(&self) -> Option<Timestamp> {
        match &*self.repr {
            Repr::Expired { at, .. } | Repr::AccessExpired { at } => Some(*at),
            _ => None,
        }
    }

    /// The version the caller expected and the one found, for `Conflict` errors.
    pub fn conflict_versions(&self) -> Option<(u64, u64)> {
        match &*self.repr {
            Repr::Conflict { expected, actual } => Some((*expected, *actual)),
            _ => None,
        }
    }

    fn detail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.repr {
            Repr::NotFound { what } => write!(f, "no {what}"),
            Repr::Expired { what, at } => write!(f, "the {what} expired at {at}"),
            Repr::Revoked { reason } => {
                let why = match reason {
                    EndReason::Logout => "it was logged out",
                    EndReason::LogoutEverywhere => "its user was logged out everywhere",
                    EndReason::Evicted => {
                        "it was evicted: its user opened more sessions than max_sessions_per_user allows"
                    }
                    EndReason::Theft => {
                        "a spent refresh token was presented again, so the session was presumed stolen"
                    }
                    EndReason::Rotated => "its token was replaced by regenerate or login",
                    EndReason::Admin => "an administrator ended it",
                    EndReason::BindingMismatch => {
                        "it is bound to its client and was presented with another user agent or \
                         IP address prefix"
                    }
                };
                write!(f, "the session was revoked ({reason}): {why}")
            }
            Repr::TokenReuse => write!(
                f,
                "refresh token reused after it was spent; the session and all its tokens are revoked"
            ),
            Repr::Conflict { expected, actual } => write!(
                f,
                "version conflict: expected version {expected}, the session is at version {actual}"
            ),
            Repr::InvalidToken { why } => write!(f, "invalid token: {why}"),
            Repr::InvalidArgument { message } => write!(f, "invalid argument: {message}"),
            Repr::Locked { path } => write!(
                f,
                "{} is locked: another Store (in this or another process) has it open \
                 exclusively. To share one file between the worker processes of a server, \
                 open it in shared mode in every process: Rust `Config::shared(true)`, \
                 Python `coatcheck.Store(path, shared=True)`, C \
                 `coatcheck_options_set_shared(opts, true)`; the Django, Flask and Starlette \
                 adapters open it shared unless COATCHECK_OPTIONS sets \"shared\": False",
                path.display()
            ),
            Repr::Corrupt { message } => write!(f, "corrupt store: {message}"),
            Repr::Io { message, source } => write!(f, "{message}: {source}"),
            Repr::Storage { message } => write!(f, "{message}"),
            Repr::AccessExpired { at } => write!(
                f,
                "the access token expired at {at}; refresh the pair (the session itself may live on)"
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.op.is_empty() {
            write!(f, "{}: ", self.op)?;
        }
        self.detail(f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind())
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.repr {
            Repr::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<redb::StorageError> for Error {
    fn from(err: redb::StorageError) -> Error {
        match err {
            redb::StorageError::Corrupted(message) => Error::corrupt(message),
            redb::StorageError::Io(source) => Error::io("storage I/O failed", source),
            redb::StorageError::PreviousIo => previous_io(),
            other => Error::storage(format!("storage engine error: {other}")),
        }
    }
}

/// redb's latch after a failed write (a full disk): still an I/O failure
/// for the caller, and the store reopens the file before its next write.
fn previous_io() -> Error {
    Error::io(
        "storage I/O failed",
        std::io::Error::other("an earlier write to the file failed (is the disk full?)"),
    )
}

macro_rules! storage_error_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Error {
            fn from(err: $ty) -> Error {
                match err.into() {
                    redb::Error::Corrupted(message) => Error::corrupt(message),
                    redb::Error::Io(source) => Error::io("storage I/O failed", source),
                    redb::Error::PreviousIo => previous_io(),
                    other => Error::storage(format!("storage engine error: {other}")),
                }
            }
        }
    )*};
}

storage_error_from!(
    redb::TransactionError,
    redb::TableError,
    redb::CommitError,
    redb::SetDurabilityError
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_and_revoked_are_kinds_of_not_found() {
        assert!(Error::expired(Timestamp::from_millis(0)).is_not_found());
        assert!(Error::revoked(EndReason::Logout).is_not_found());
        assert!(!Error::conflict(1, 2).is_not_found());
    }

    #[test]
    fn message_names_the_operation_and_the_reason() {
        let err = Error::revoked(EndReason::LogoutEverywhere).during("get");
        assert_eq!(err.kind(), ErrorKind::Revoked);
        assert_eq!(err.end_reason(), Some(EndReason::LogoutEverywhere));
        let text = err.to_string();
        assert!(text.starts_with("get: the session was revoked (logout_everywhere)"));
    }

    #[test]
    fn locked_message_names_the_file_and_the_way_out() {
        let text = Error::locked(PathBuf::from("/srv/app/sessions.redb"))
            .during("open")
            .to_string();
        assert!(text.contains("/srv/app/sessions.redb"));
        assert!(text.contains("shared=True"));
        assert!(text.contains("coatcheck_options_set_shared"));
        assert!(text.contains("Config::shared(true)"));
    }
}
