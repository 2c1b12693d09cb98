//! The tower-sessions store contract on coatcheck (feature `tower-sessions`).
#![cfg(feature = "tower-sessions")]

mod common;

use std::collections::HashMap;

use coatcheck::tower::CoatcheckStore;
use coatcheck::{ErrorKind, SessionId};
use futures::executor::block_on;
use time::{Duration, OffsetDateTime};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::{ExpiredDeletion, SessionStore};

/// A record expiring `expires_in` after the store clock's now.
fn record(clock: &coatcheck::ManualClock, expires_in: Duration) -> Record {
    let mut data = HashMap::new();
    data.insert("cart".to_owned(), serde_json::json!(["tea", 2]));
    let now = coatcheck::Clock::now(clock).as_millis();
    Record {
        id: Id::default(),
        data,
        expiry_date: OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .unwrap()
            + expires_in,
    }
}

#[test]
fn create_load_save_delete_round_trip() {
    let (store, clock) = common::memory_store(coatcheck::Config::default());
    let tower = CoatcheckStore::new(store.clone());
    let mut rec = record(&clock, Duration::hours(1));
    block_on(tower.create(&mut rec)).unwrap();
    let loaded = block_on(tower.load(&rec.id)).unwrap().unwrap();
    assert_eq!(loaded.data, rec.data);
    assert_eq!(loaded.expiry_date, rec.expiry_date);
    // The cookie value (the id) is the token; only its hash is the session id.
    let token = rec.id.to_string();
    assert_eq!(store.get(&token).unwrap().id(), SessionId::of_token(&token));

    rec.data.insert("theme".into(), serde_json::json!("dark"));
    block_on(tower.save(&rec)).unwrap();
    let loaded = block_on(tower.load(&rec.id)).unwrap().unwrap();
    assert_eq!(loaded.data["theme"], "dark");

    block_on(tower.delete(&rec.id)).unwrap();
    assert!(block_on(tower.load(&rec.id)).unwrap().is_none());
    // A save never brings an ended session back.
    assert!(block_on(tower.save(&rec)).is_err());
    assert_eq!(store.get(&token).unwrap_err().kind(), ErrorKind::Revoked);
}

#[test]
fn the_record_expiry_is_honoured() {
    let (store, clock) = common::memory_store(coatcheck::Config::default());
    let tower = CoatcheckStore::new(store.clone());
    let mut rec = record(&clock, Duration::minutes(5));
    block_on(tower.create(&mut rec)).unwrap();
    let loaded = block_on(tower.load(&rec.id)).unwrap().unwrap();
    assert_eq!(loaded.expiry_date, rec.expiry_date);
    clock.advance(std::time::Duration::from_secs(4 * 60));
    assert!(block_on(tower.load(&rec.id)).unwrap().is_some());
    clock.advance(std::time::Duration::from_secs(61));
    assert!(block_on(tower.load(&rec.id)).unwrap().is_none());
    block_on(tower.delete_expired()).unwrap();
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn unknown_and_odd_ids_load_as_none() {
    let (store, _) = common::store();
    let tower = CoatcheckStore::new(store);
    assert!(block_on(tower.load(&Id::default())).unwrap().is_none());
    assert!(block_on(tower.load(&Id(0))).unwrap().is_none());
}
