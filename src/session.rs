//! What a caller sees of a session, and what it gives to create one.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::lifetime::Lifetime;
use crate::record::LiveRecord;
use crate::token::{SessionId, Token};
use crate::value::{Data, Value};

/// Where a session came from: set at create, updatable with `set_meta`.
/// Shown on a "your devices" page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The client's IP address, as the server saw it.
    pub ip: Option<String>,
    /// The client's `User-Agent` header.
    pub user_agent: Option<String>,
    /// A free-form label, such as a device name.
    pub label: Option<String>,
}

/// The longest `ip`, `user_agent` or `label` accepted, in bytes.
pub(crate) const MAX_META_BYTES: usize = 1024;
/// The longest user id accepted, in bytes.
pub(crate) const MAX_USER_BYTES: usize = 256;
/// The longest data key accepted, in bytes.
pub(crate) const MAX_KEY_BYTES: usize = 256;

/// What to create a session with.
///
/// ```
/// use coatcheck::{NewSession, Value};
/// let new = NewSession::default()
///     .insert("cart", Value::List(vec![]))
///     .ip("203.0.113.7")
///     .remember(true);
/// assert!(new.user.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    /// The user, or `None` for an anonymous session.
    pub user: Option<String>,
    /// The initial data.
    pub data: Data,
    /// "Keep me signed in": the session uses the long lifetime.
    pub remember: bool,
    /// A lifetime for this session only, instead of the configured one.
    pub lifetime: Option<Lifetime>,
    /// Where the session came from.
    pub meta: Meta,
}

impl NewSession {
    /// A session for `user`.
    pub fn for_user(user: impl Into<String>) -> NewSession {
        NewSession {
            user: Some(user.into()),
            ..NewSession::default()
        }
    }

    /// Sets the user.
    pub fn user(mut self, user: impl Into<String>) -> NewSession {
        self.user = Some(user.into());
        self
    }

    /// Adds one key to the initial data.
    pub fn insert(mut self, key: impl Into<String>, value: impl Into<Value>) -> NewSession {
        self.data.insert(key.into(), value.into());
        self
    }

    /// Sets the whole initial data.
    pub fn data(mut self, data: Data) -> NewSession {
        self.data = data;
        self
    }

    /// Sets "remember me".
    pub fn remember(mut self, remember: bool) -> NewSession {
        self.remember = remember;
        self
    }

    /// Sets a lifetime for this session only.
    pub fn lifetime(mut self, lifetime: Lifetime) -> NewSession {
        self.lifetime = Some(lifetime);
        self
    }

    /// Sets the client IP address.
    pub fn ip(mut self, ip: impl Into<String>) -> NewSession {
        self.meta.ip = Some(ip.into());
        self
    }

    /// Sets the client `User-Agent`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> NewSession {
        self.meta.user_agent = Some(user_agent.into());
        self
    }

    /// Sets a device label.
    pub fn label(mut self, label: impl Into<String>) -> NewSession {
        self.meta.label = Some(label.into());
        self
    }
}

/// A session as a caller sees it: a snapshot taken by the call that
/// returned it. It shares the stored record (no copy of the data is made
/// on a read).
///
/// `Debug` shows everything but the token and the session's secrets.
#[derive(Clone, PartialEq)]
pub struct Session {
    pub(crate) id: SessionId,
    pub(crate) token: Option<Token>,
    pub(crate) record: std::sync::Arc<LiveRecord>,
    pub(crate) last_access: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) lifetime: Lifetime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("token", &self.token)
            .field("user", &self.user())
            .field("data", self.data())
            .field("pending_flash", &self.pending_flash())
            .field("created_at", &self.created_at())
            .field("last_access", &self.last_access)
            .field("last_update", &self.last_update())
            .field("expires_at", &self.expires_at)
            .field("remember", &self.remember())
            .field("lifetime", &self.lifetime)
            .field("meta", self.meta())
            .field("version", &self.version())
            .finish()
    }
}

impl Session {
    /// The public id (SHA-256 of the token).
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The token: only on the value returned by `create`, `regenerate` and
    /// `login`, the one moment the plaintext exists.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(Token::as_str)
    }

    /// The user id, or `None` for an anonymous session.
    pub fn user(&self) -> Option<&str> {
        self.record.user.as_deref()
    }

    /// All data.
    pub fn data(&self) -> &Data {
        &self.record.data
    }

    /// The data, taken out of the session.
    pub fn into_data(self) -> Data {
        Data::clone(&self.record.data)
    }

    /// One value of the data.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.record.data.get(key)
    }

    /// How many flash values wait for `take_flash`.
    pub fn pending_flash(&self) -> usize {
        self.record.flash.len()
    }

    /// When the session was created.
    pub fn created_at(&self) -> Timestamp {
        self.record.created_at
    }

    /// When the session was last used.
    pub fn last_access(&self) -> Timestamp {
        self.last_access
    }

    /// When the session's data, flash or user last changed.
    pub fn last_update(&self) -> Timestamp {
        self.record.last_update
    }

    /// When the session expires if it is not used again.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// Whether this is a "keep me signed in" session.
    pub fn remember(&self) -> bool {
        self.record.remember
    }

    /// The lifetime in force for this session.
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// Whether the lifetime was set for this session (`set_lifetime` or at
    /// create) rather than taken from the configuration.
    pub fn has_custom_lifetime(&self) -> bool {
        self.record.lifetime.is_some()
    }

    /// Where the session came from.
    pub fn meta(&self) -> &Meta {
        &self.record.meta
    }

    /// Increases by one on every change of data, flash or user.
    pub fn version(&self) -> u64 {
        self.record.version
    }
}
