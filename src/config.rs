//! Every knob of a store, with the defaults of the specification.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::lifetime::{Lifetime, TtlBasis};

/// The default of [`Config::max_sessions_per_user`].
pub const DEFAULT_MAX_SESSIONS_PER_USER: usize = 100;

/// When a change is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A call that changes data returns after the change is on disk (the
    /// default). Concurrent writers share one commit (group commit), so
    /// throughput grows with concurrency.
    #[default]
    Immediate,
    /// Changes are visible at once and on disk within this interval; a
    /// crash loses at most that window. Far cheaper per write.
    Periodic(Duration),
}

/// The configuration of a [`Store`](crate::Store).
///
/// Build it from [`Config::default`] with the chained setters; every field is
/// also public. [`Store::open`](crate::Store::open) validates it and names
/// the field that is out of range.
///
/// ```
/// use std::time::Duration;
/// use coatcheck::{Config, Durability};
/// let config = Config::default()
///     .idle_timeout(Duration::from_secs(15 * 60))
///     .token_prefix("cc_")
///     .max_sessions_per_user(Some(5))
///     .durability(Durability::Periodic(Duration::from_millis(200)));
/// assert_eq!(config.absolute_timeout, Duration::from_secs(24 * 3600));
/// ```
#[derive(Clone)]
pub struct Config {
    /// Sliding inactivity limit (default 30 min).
    pub idle_timeout: Duration,
    /// Hard limit from creation (default 24 h).
    pub absolute_timeout: Duration,
    /// Idle limit of "remember me" sessions (default 30 days).
    pub remember_idle_timeout: Duration,
    /// Hard limit of "remember me" sessions (default 90 days).
    pub remember_absolute_timeout: Duration,
    /// What the idle timeout counts from (default: last access).
    pub ttl_basis: TtlBasis,
    /// How often a read may persist `last_access` (default: a tenth of the
    /// idle timeout). Reads in between update memory only; after a crash a
    /// session may expire up to this much early, never late.
    pub touch_interval: Option<Duration>,
    /// How often the background sweeper removes expired sessions (default
    /// 60 s; `None` disables it, and `sweep()` still works).
    pub sweep_interval: Option<Duration>,
    /// How many records one sweep transaction removes at most (default 1,000).
    pub sweep_batch: usize,
    /// When changes are on disk (default [`Durability::Immediate`]).
    pub durability: Durability,
    /// How many sessions the read cache holds (default 100,000; 0 disables it).
    pub cache_capacity: usize,
    /// At most this many live sessions per user; `login`/`create` evict the
    /// least recently used beyond it (default
    /// [`DEFAULT_MAX_SESSIONS_PER_USER`], 100, so that one user cannot grow
    /// the per-user index — which "your devices" pages and logins read —
    /// without limit; `None` means no limit).
    pub max_sessions_per_user: Option<usize>,
    /// The largest a session's data and flash may be, encoded (default 64 KiB).
    pub max_value_bytes: usize,
    /// Random bytes in a token (default 32, at least 16).
    pub token_bytes: usize,
    /// A prefix for every token, such as `"cc_"`, so that secret scanners
    /// can spot leaked ones (default none).
    pub token_prefix: String,
    /// Put the creation time (6 bytes of milliseconds) before the random part
    /// of new tokens (default false).
    pub token_timestamp: bool,
    /// `login` gives the session a new token (default true; OWASP: renew the
    /// session id on any privilege change).
    pub regenerate_on_login: bool,
    /// An anonymous session whose data and flash become empty is removed
    /// (default false). The caller should then clear the cookie.
    pub destroy_when_empty: bool,
    /// Lifetime of access tokens from `issue_pair` (default 15 min).
    pub access_ttl: Duration,
    /// Lifetime of refresh tokens (default 30 days).
    pub refresh_ttl: Duration,
    /// A spent refresh token presented again within this window returns the
    /// same new pair instead of reporting theft (default 10 s).
    pub refresh_grace: Duration,
    /// The HMAC key for access tokens. `None` (default): a random key per
    /// process, so that access tokens die with the process and clients
    /// refresh; it is never written to the store file.
    pub access_key: Option<Vec<u8>>,
    /// Older access keys, accepted but never used to sign (default none):
    /// rotate a key by making the new one `access_key` and the old one a
    /// retired key until the last token it signed has expired (`access_ttl`).
    /// Each token names its key in the JWT header (`kid`). At least 32 bytes
    /// each.
    pub retired_access_keys: Vec<Vec<u8>>,
    /// Where the store reads the time (default: the system clock).
    pub clock: Arc<dyn Clock>,
    /// Shared mode (default false: exclusive). Several processes of one
    /// machine (prefork web servers, cron jobs, admin commands) open the
    /// same file together; every read sees what any process committed
    /// before it began. Every commit is durable in this mode, so
    /// [`Durability::Periodic`] is refused. See the crate's "Deploying"
    /// notes for what it costs.
    pub shared: bool,
    /// The session events hook (default none): told of sessions created,
    /// signed in, rotated, ended, stolen and evicted, after each commit, on
    /// a thread of its own. See [`SessionEvent`](crate::SessionEvent).
    pub on_event: Option<crate::events::EventHook>,
    /// Opt-in binding of sessions to their client's user agent and IP
    /// prefix, checked by [`Store::get_from`](crate::Store::get_from)
    /// (default: none).
    pub binding: crate::Binding,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(24 * 3600),
            remember_idle_timeout: Duration::from_secs(30 * 86_400),
            remember_absolute_timeout: Duration::from_secs(90 * 86_400),
            ttl_basis: TtlBasis::LastAccess,
            touch_interval: None,
            sweep_interval: Some(Duration::from_secs(60)),
            sweep_batch: 1000,
            durability: Durability::Immediate,
            cache_capacity: 100_000,
            max_sessions_per_user: Some(DEFAULT_MAX_SESSIONS_PER_USER),
            max_value_bytes: 64 * 1024,
            token_bytes: 32,
            token_prefix: String::new(),
            token_timestamp: false,
            regenerate_on_login: true,
            destroy_when_empty: false,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 86_400),
            refresh_grace: Duration::from_secs(10),
            access_key: None,
            retired_access_keys: Vec::new(),
            clock: Arc::new(SystemClock),
            shared: false,
            on_event: None,
            binding: crate::Binding::default(),
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Config {
            self.$name = value;
            self
        }
    )*};
}

impl Config {
    setters!(
        /// Sets [`Config::idle_timeout`].
        idle_timeout: Duration,
        /// Sets [`Config::absolute_timeout`].
        absolute_timeout: Duration,
        /// Sets [`Config::remember_idle_timeout`].
        remember_idle_timeout: Duration,
        /// Sets [`Config::remember_absolute_timeout`].
        remember_absolute_timeout: Duration,
        /// Sets [`Config::ttl_basis`].
        ttl_basis: TtlBasis,
        /// Sets [`Config::touch_interval`].
        touch_interval: Option<Duration>,
        /// Sets [`Config::sweep_interval`].
        sweep_interval: Option<Duration>,
        /// Sets [`Config::sweep_batch`].
        sweep_batch: usize,
        /// Sets [`Config::durability`].
        durability: Durability,
        /// Sets [`Config::cache_capacity`].
        cache_capacity: usize,
        /// Sets [`Config::max_sessions_per_user`].
        max_sessions_per_user: Option<usize>,
        /// Sets [`Config::max_value_bytes`].
        max_value_bytes: usize,
        /// Sets [`Config::token_bytes`].
        token_bytes: usize,
        /// Sets [`Config::token_timestamp`].
        token_timestamp: bool,
        /// Sets [`Config::regenerate_on_login`].
        regenerate_on_login: bool,
        /// Sets [`Config::destroy_when_empty`].
        destroy_when_empty: bool,
        /// Sets [`Config::access_ttl`].
        access_ttl: Duration,
        /// Sets [`Config::refresh_ttl`].
        refresh_ttl: Duration,
        /// Sets [`Config::refresh_grace`].
        refresh_grace: Duration,
        /// Sets [`Config::access_key`].
        access_key: Option<Vec<u8>>,
        /// Sets [`Config::retired_access_keys`].
        retired_access_keys: Vec<Vec<u8>>,
        /// Sets [`Config::shared`].
        shared: bool,
        /// Sets [`Config::binding`].
        binding: crate::Binding,
    );

    /// Sets [`Config::token_prefix`].
    pub fn token_prefix(mut self, prefix: impl Into<String>) -> Config {
        self.token_prefix = prefix.into();
        self
    }

    /// Sets [`Config::on_event`]: `hook` is told of every session event.
    pub fn on_event(
        mut self,
        hook: impl Fn(&crate::SessionEvent) + Send + Sync + 'static,
    ) -> Config {
        self.on_event = Some(crate::events::EventHook::new(hook));
        self
    }

    /// Sets [`Config::clock`].
    pub fn clock(mut self, clock: impl Clock) -> Config {
        self.clock = Arc::new(clock);
        self
    }

    /// The default lifetime of a session (`remember` picks the long pair).
    pub fn default_lifetime(&self, remember: bool) -> Lifetime {
        if remember {
            Lifetime::new(self.remember_idle_timeout, self.remember_absolute_timeout)
        } else {
            Lifetime::new(self.idle_timeout, self.absolute_timeout)
        }
    }

    /// The touch interval in force: the configured one, or a tenth of the
    /// idle timeout.
    pub fn effective_touch_interval(&self) -> Duration {
        self.touch_interval.unwrap_or(self.idle_timeout / 10)
    }

    /// Checks every field; the error names the field that is out of range.
    pub fn validate(&self) -> Result<()> {
        self.default_lifetime(false)
            .validate("idle_timeout/absolute_timeout")?;
        self.default_lifetime(true)
            .validate("remember_idle_timeout/remember_absolute_timeout")?;
        if self.token_bytes < 16 || self.token_bytes > 256 {
            return Err(Error::invalid_argument(format!(
                "token_bytes must be between 16 and 256, got {}",
                self.token_bytes
            )));
        }
        if self.token_prefix.len() > 32
            || !self
                .token_prefix
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(Error::invalid_argument(
                "token_prefix must be at most 32 characters of A-Z, a-z, 0-9, '_' and '-'",
            ));
        }
        if self.sweep_batch == 0 {
            return Err(Error::invalid_argument("sweep_batch must be at least 1"));
        }
        if matches!(self.sweep_interval, Some(d) if d.is_zero()) {
            return Err(Error::invalid_argument(
                "sweep_interval must be longer than zero (None disables the sweeper)",
            ));
        }
        if matches!(self.durability, Durability::Periodic(d) if d.is_zero()) {
            return Err(Error::invalid_argument(
                "durability: a Periodic interval must be longer than zero",
            ));
        }
        if self.max_sessions_per_user == Some(0) {
            return Err(Error::invalid_argument(
                "max_sessions_per_user must be at least 1 (None means no limit)",
            ));
        }
        if self.max_value_bytes == 0 {
            return Err(Error::invalid_argument(
                "max_value_bytes must be at least 1",
            ));
        }
        if self.access_ttl.is_zero() || self.refresh_ttl.is_zero() {
            return Err(Error::invalid_argument(
                "access_ttl and refresh_ttl must be longer than zero",
            ));
        }
        if self.shared && matches!(self.durability, Durability::Periodic(_)) {
            return Err(Error::invalid_argument(
                "durability: Periodic is not available with shared = true (several processes \
                 on one file commit durably, every time); use Immediate, or open the file \
                 exclusively (shared = false)",
            ));
        }
        self.binding.validate()?;
        if matches!(&self.access_key, Some(key) if key.len() < 32) {
            return Err(Error::invalid_argument(
                "access_key must be at least 32 bytes",
            ));
        }
        if self.retired_access_keys.iter().any(|key| key.len() < 32) {
            return Err(Error::invalid_argument(
                "retired_access_keys must each be at least 32 bytes",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_timeout", &self.absolute_timeout)
            .field("remember_idle_timeout", &self.remember_idle_timeout)
            .field("remember_absolute_timeout", &self.remember_absolute_timeout)
            .field("ttl_basis", &self.ttl_basis)
            .field("touch_interval", &self.effective_touch_interval())
            .field("sweep_interval", &self.sweep_interval)
            .field("sweep_batch", &self.sweep_batch)
            .field("durability", &self.durability)
            .field("cache_capacity", &self.cache_capacity)
            .field("max_sessions_per_user", &self.max_sessions_per_user)
            .field("max_value_bytes", &self.max_value_bytes)
            .field("token_bytes", &self.token_bytes)
            .field("token_prefix", &self.token_prefix)
            .field("token_timestamp", &self.token_timestamp)
            .field("regenerate_on_login", &self.regenerate_on_login)
            .field("destroy_when_empty", &self.destroy_when_empty)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("refresh_grace", &self.refresh_grace)
            .field("shared", &self.shared)
            .field("on_event", &self.on_event)
            .field("binding", &self.binding)
            .field(
                "access_key",
                &self.access_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "retired_access_keys",
                &format_args!("<{} redacted>", self.retired_access_keys.len()),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec_and_validate() {
        let c = Config::default();
        assert_eq!(c.idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.effective_touch_interval(), Duration::from_secs(180));
        assert_eq!(c.sweep_interval, Some(Duration::from_secs(60)));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn out_of_range_knobs_name_the_field() {
        let cases = [
            (
                Config::default().idle_timeout(Duration::ZERO),
                "idle_timeout",
            ),
            (Config::default().token_bytes(8), "token_bytes"),
            (
                Config::default().absolute_timeout(Duration::from_secs(60)),
                "absolute_timeout",
            ),
            (Config::default().token_prefix("no spaces"), "token_prefix"),
            (
                Config::default().max_sessions_per_user(Some(0)),
                "max_sessions_per_user",
            ),
        ];
        for (config, field) in cases {
            let err = config.validate().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
            assert!(err.to_string().contains(field), "{err} should name {field}");
        }
    }

    #[test]
    fn debug_hides_the_access_key() {
        let c = Config::default().access_key(Some(vec![7u8; 32]));
        assert!(format!("{c:?}").contains("<redacted>"));
    }
}
