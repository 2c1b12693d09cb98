//! How long a session lives: idle and absolute timeouts, and what the idle
//! timeout counts from.
//!
//! `expires_at = min(basis + idle, created_at + absolute)`, where the basis
//! is the last access (default), the last update, or the creation time
//! ([`TtlBasis`]). The idle timeout is OWASP's "inactivity timeout"; the
//! absolute timeout bounds how long a stolen token can be kept alive by use.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};

/// An idle (sliding) timeout and an absolute timeout, counted from creation.
///
/// ```
/// use std::time::Duration;
/// use coatcheck::Lifetime;
/// let kiosk = Lifetime::new(Duration::from_secs(120), Duration::from_secs(3600));
/// assert_eq!(kiosk.idle, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lifetime {
    /// The session ends after this long without use (see [`TtlBasis`]).
    pub idle: Duration,
    /// The session ends this long after it was created, however busy.
    pub absolute: Duration,
}

impl Lifetime {
    /// A lifetime of `idle` inactivity and `absolute` total.
    pub const fn new(idle: Duration, absolute: Duration) -> Lifetime {
        Lifetime { idle, absolute }
    }

    /// Checks that both timeouts are positive and `idle <= absolute`.
    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if self.idle.is_zero() {
            return Err(Error::invalid_argument(format!(
                "{what}: the idle timeout must be longer than zero"
            )));
        }
        if self.absolute < self.idle {
            return Err(Error::invalid_argument(format!(
                "{what}: the absolute timeout ({:?}) is shorter than the idle timeout ({:?})",
                self.absolute, self.idle
            )));
        }
        Ok(())
    }

    /// When a session with these timestamps expires.
    pub(crate) fn expires_at(
        &self,
        basis: TtlBasis,
        created_at: Timestamp,
        last_access: Timestamp,
        last_update: Timestamp,
    ) -> Timestamp {
        let from = match basis {
            TtlBasis::LastAccess => last_access,
            TtlBasis::LastUpdate => last_update,
            TtlBasis::Created => created_at,
        };
        from.saturating_add(self.idle)
            .min(created_at.saturating_add(self.absolute))
    }
}

/// What the idle timeout counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TtlBasis {
    /// Any use, read or write, keeps the session alive (the default).
    #[default]
    LastAccess,
    /// Only changes keep the session alive; reads do not.
    LastUpdate,
    /// Nothing keeps the session alive: it lives `idle` from creation.
    Created,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn expiry_is_the_earlier_of_idle_and_absolute() {
        let life = Lifetime::new(Duration::from_millis(100), Duration::from_millis(1000));
        assert_eq!(
            life.expires_at(TtlBasis::LastAccess, t(0), t(50), t(10)),
            t(150)
        );
        assert_eq!(
            life.expires_at(TtlBasis::LastAccess, t(0), t(950), t(10)),
            t(1000)
        );
        assert_eq!(
            life.expires_at(TtlBasis::LastUpdate, t(0), t(500), t(10)),
            t(110)
        );
        assert_eq!(
            life.expires_at(TtlBasis::Created, t(0), t(500), t(300)),
            t(100)
        );
    }

    #[test]
    fn zero_idle_and_short_absolute_are_refused() {
        let zero = Lifetime::new(Duration::ZERO, Duration::from_secs(1));
        assert!(zero
            .validate("idle_timeout")
            .unwrap_err()
            .to_string()
            .contains("idle_timeout"));
        let short = Lifetime::new(Duration::from_secs(2), Duration::from_secs(1));
        assert!(short.validate("lifetime").is_err());
    }
}
