//! tower-sessions on coatcheck (cargo feature `tower-sessions`): swap the
//! store of an axum or tower app in one line.
//!
//! ```ignore
//! use tower_sessions::SessionManagerLayer;
//! let store = coatcheck::tower::CoatcheckStore::new(coatcheck::Store::open("sessions.redb", Default::default())?);
//! let layer = SessionManagerLayer::new(store);
//! ```
//!
//! The cookie value tower-sessions issues (its session id) is the token:
//! coatcheck stores only its SHA-256, like any other token. The record's
//! `expiry_date` is honoured exactly: the session gets its own lifetime,
//! ending at that date, renewed on every save. Writes are durable and
//! atomic as everywhere in coatcheck; a save never brings back a session
//! that was ended meanwhile (`destroy_user`, `destroy_id`…): it fails.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record as TowerRecord};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::lifetime::Lifetime;
use crate::record::LiveRecord;
use crate::store::Store;
use crate::token::{SessionId, Token};
use crate::value::{Data, Value};

/// A tower-sessions `SessionStore` (and `ExpiredDeletion`) backed by a
/// coatcheck [`Store`].
#[derive(Clone, Debug)]
pub struct CoatcheckStore {
    store: Store,
}

impl CoatcheckStore {
    /// Wraps `store`.
    pub fn new(store: Store) -> CoatcheckStore {
        CoatcheckStore { store }
    }

    /// The coatcheck store, for everything tower-sessions does not cover
    /// (`sessions_of`, `destroy_user`, CSRF…).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn backend(err: Error) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn millis(at: OffsetDateTime) -> Timestamp {
    let millis = at.unix_timestamp_nanos() / 1_000_000;
    Timestamp::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

fn to_data(map: &HashMap<String, serde_json::Value>) -> Result<Data> {
    map.iter()
        .map(|(k, v)| {
            crate::store::validate_key(k)?;
            let value = Value::from_json(v)?;
            value.validate(k)?;
            Ok((k.clone(), value))
        })
        .collect()
}

/// The lifetime that ends a session created at `created` at `expiry`.
fn lifetime_until(created: Timestamp, expiry: Timestamp) -> Lifetime {
    let span = Duration::from_millis(
        expiry
            .as_millis()
            .saturating_sub(created.as_millis())
            .max(1)
            .unsigned_abs(),
    );
    Lifetime::new(span, span)
}

impl CoatcheckStore {
    /// Writes `record`: creates the session if it does not exist
    /// (`create_only`: fails if it does), else replaces its data and expiry.
    fn upsert(&self, record: &TowerRecord, create_only: bool) -> Result<bool> {
        let inner = self.store.inner.clone();
        inner.check()?;
        let id = SessionId::of_token(&record.id.to_string());
        let data = to_data(&record.data)?;
        let expiry = millis(record.expiry_date);
        inner.write(inner.durable(), move |inner, view| {
            let now = inner.now();
            let existing = view.get(&id)?;
            let next = match existing.as_ref() {
                None => LiveRecord {
                    user: None,
                    data: Arc::new(data),
                    flash: Data::new(),
                    created_at: now,
                    last_access: now,
                    last_update: now,
                    remember: false,
                    lifetime: Some(lifetime_until(now, expiry)),
                    meta: Arc::default(),
                    version: 0,
                    csrf_secret: [0; 32],
                    expires_at: now,
                    pair_gen: 0,
                    refresh_key: None,
                },
                Some(_) if create_only => return Ok(false),
                Some(_) => {
                    // Live, or the error that says why not: a save never
                    // brings back an ended session.
                    let (live, _, _) = inner.live(&id, existing.as_ref(), now)?;
                    let mut next = LiveRecord::clone(live);
                    if *next.data != data {
                        next.data = Arc::new(data);
                        next.version += 1;
                        next.last_update = now;
                    }
                    next.lifetime = Some(lifetime_until(next.created_at, expiry));
                    next
                }
            };
            inner.check_size(&next)?;
            inner.commit_live(view, id, next, now)?;
            Ok(true)
        })
    }
}

#[async_trait]
impl SessionStore for CoatcheckStore {
    async fn create(&self, record: &mut TowerRecord) -> session_store::Result<()> {
        loop {
            if self.upsert(record, true).map_err(backend)? {
                return Ok(());
            }
            // Id collision (2^-128): draw another, as tower-sessions asks.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &TowerRecord) -> session_store::Result<()> {
        self.upsert(record, false).map(|_| ()).map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<TowerRecord>> {
        let token = Token::from_secret(session_id.to_string());
        let inner = &self.store.inner;
        match inner.read_id(&token.id(), true, None) {
            Ok(session) => {
                let data = session
                    .data()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(session.expires_at().as_millis()) * 1_000_000,
                )
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
                Ok(Some(TowerRecord {
                    id: *session_id,
                    data,
                    expiry_date,
                }))
            }
            Err(e) if e.is_not_found() || e.kind() == ErrorKind::InvalidToken => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let id = SessionId::of_token(&session_id.to_string());
        self.store.inner.check().map_err(backend)?;
        self.store
            .inner
            .end(id, crate::error::EndReason::Logout)
            .map(|_| ())
            .map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for CoatcheckStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.store.sweep().map(|_| ()).map_err(backend)
    }
}
