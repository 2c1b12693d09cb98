//! # coatcheck
//!
//! An embedded session engine. A web server hands coatcheck a visitor's
//! state and gets back a ticket (the token); later it presents the ticket
//! and gets the state back. No server to run: sessions live in one
//! [redb](https://docs.rs/redb) file next to your app, owned by one process
//! or shared by the worker processes of one machine ([`Config::shared`]).
//!
//! - **Durable**: a change returns once it is on disk; concurrent writers
//!   share one commit (group commit), so throughput grows with concurrency.
//! - **No lost updates**: `set`, `remove`, `update` and `take_flash` are
//!   atomic; two requests changing different keys of one session both win.
//! - **Fast reads**: hot sessions are served from memory, and reads do not
//!   write to disk on every call.
//! - **Secure by default**: 256-bit tokens from the OS, only their SHA-256
//!   stored, ids renewed on login, no secret in `Debug` output or errors.
//! - **Everything users had**: logout everywhere, flash messages, CSRF,
//!   remember-me, id regeneration, per-user limits, expiry with reasons
//!   ("you were signed out on another device").
//! - **Swept in the background**, in small batches, through an expiry index.
//!
//! ```
//! use std::time::Duration;
//! use coatcheck::{Config, NewSession, Store, Value};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("sessions.redb");
//!
//! let store = Store::open(&path, Config::default().idle_timeout(Duration::from_secs(1800)))?;
//!
//! // An anonymous visitor fills a cart.
//! let visitor = store.create(NewSession::default().insert("cart", vec![Value::from("tea")]))?;
//! let token = visitor.token().unwrap().to_owned();
//!
//! // They sign in: same cart, new token (the old one stops working).
//! let signed_in = store.login(&token, "alice")?;
//! let token = signed_in.token().unwrap().to_owned();
//! assert_eq!(store.get(&token)?.get("cart"), Some(&Value::from(vec![Value::from("tea")])));
//!
//! // A flash message, read once.
//! store.flash(&token, "notice", "Welcome back!")?;
//! assert_eq!(store.take_flash(&token)?.len(), 1);
//! assert!(store.take_flash(&token)?.is_empty());
//!
//! // "Log out everywhere".
//! assert_eq!(store.destroy_user("alice")?, 1);
//! assert!(store.get(&token).unwrap_err().is_not_found());
//! # Ok::<(), coatcheck::Error>(())
//! ```
//!
//! See [`Store`] for the operations, [`Config`] for the knobs, and
//! [`Error`] for what can go wrong.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binding;
mod cache;
mod changes;
mod clock;
mod codec;
mod config;
mod csrf;
mod error;
mod events;
pub mod fork;
pub mod http;
mod integrity;
mod lifetime;
mod pairs;
mod record;
mod session;
mod storage;
mod store;
mod sweeper;
mod sync;
mod token;
mod touch;
/// Entry points for the fuzz targets (`fuzz/`): the record codec, which is
/// otherwise private. Not an API: only built with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    /// Decodes `bytes` as the record of `id`; a record that decodes must
    /// encode, decode and encode again to the same bytes (bytes, not
    /// records, are compared: a float in a forged record may be NaN).
    /// Panics only if the codec is wrong.
    pub fn record_round_trip(id: [u8; 32], bytes: &[u8]) {
        let id = crate::SessionId::from_bytes(id);
        if let Ok(record) = crate::codec::decode_record(&id, bytes) {
            let once = crate::codec::encode_record(&id, &record).expect("a decoded record encodes");
            let back = crate::codec::decode_record(&id, &once).expect("an encoded record decodes");
            let twice = crate::codec::encode_record(&id, &back).expect("it encodes again");
            assert_eq!(once, twice);
        }
        let _ = crate::codec::verify(bytes, "fuzz input");
    }

    /// Scans `bytes` as a raw file for intact records (what repair does).
    pub fn salvage(bytes: &[u8]) -> usize {
        crate::codec::salvage(bytes).len()
    }
}

#[cfg(feature = "tower-sessions")]
pub mod tower;
mod user_index;
mod value;
mod writer;

pub use binding::Binding;
pub use changes::Changes;
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use config::{Config, Durability, DEFAULT_MAX_SESSIONS_PER_USER};
pub use error::{EndReason, Error, ErrorKind, Result};
pub use events::{EventHook, SessionEvent, EVENT_QUEUE};
pub use integrity::{CheckReport, RepairReport};
pub use lifetime::{Lifetime, TtlBasis};
pub use pairs::TokenPair;
pub use session::{Meta, NewSession, Session};
pub use store::{Stats, Store};
pub use token::{SessionId, Token, MAX_TOKEN_CHARS};
pub use value::{data_from_json_str, data_to_json, Data, Value, BYTES_JSON_KEY, MAX_DEPTH};
