//! Concurrent requests: no lost updates, no session under two tokens, and
//! group commit on a real file.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use coatcheck::{Config, ErrorKind, NewSession, Store, Value};

fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path().join("s.redb"),
        Config::default().sweep_interval(None),
    )
    .unwrap();
    (dir, store)
}

#[test]
fn concurrent_sets_of_different_keys_all_survive() {
    let (_dir, store) = file_store();
    let token = common::new_token(&store, NewSession::default());
    let threads = 8;
    let rounds = 40;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            let token = token.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for i in 0..rounds {
                    store.set(&token, &format!("key{t}"), i as i64).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let session = store.get(&token).unwrap();
    for t in 0..threads {
        assert_eq!(
            session.get(&format!("key{t}")),
            Some(&Value::from((rounds - 1) as i64)),
            "thread {t}'s last write was lost"
        );
    }
    assert_eq!(session.version(), (threads * rounds) as u64);
    let stats = store.stats().unwrap();
    assert!(
        stats.durable_commits < (threads * rounds) as u64,
        "writers shared commits: {} commits for {} writes",
        stats.durable_commits,
        threads * rounds
    );
}

#[test]
fn concurrent_updates_of_one_counter_lose_nothing() {
    let (_dir, store) = file_store();
    let token = common::new_token(&store, NewSession::default());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let token = token.clone();
            thread::spawn(move || {
                for _ in 0..25 {
                    store
                        .update(&token, |data| {
                            let n = data.get("n").and_then(Value::as_i64).unwrap_or(0);
                            data.insert("n".into(), Value::from(n + 1));
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.get(&token).unwrap().get("n"), Some(&Value::Int(100)));
}

#[test]
fn regenerate_racing_reads_never_shows_one_session_under_two_tokens() {
    let (store, _) = common::store();
    for _ in 0..20 {
        let old = common::new_token(&store, NewSession::default().insert("k", 1));
        let barrier = Arc::new(Barrier::new(2));
        let reader = {
            let store = store.clone();
            let old = old.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let mut seen_revoked = false;
                for _ in 0..200 {
                    match store.get(&old) {
                        Ok(_) => assert!(!seen_revoked, "the old token came back"),
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::Revoked);
                            seen_revoked = true;
                        }
                    }
                }
            })
        };
        barrier.wait();
        let fresh = store.regenerate(&old).unwrap();
        // Once regenerate returned, only the new token works.
        assert_eq!(store.get(&old).unwrap_err().kind(), ErrorKind::Revoked);
        assert!(store.get(fresh.token().unwrap()).is_ok());
        reader.join().unwrap();
    }
}

#[test]
fn many_writers_share_commits() {
    let (_dir, store) = file_store();
    let writers = 16;
    let each = 10;
    let barrier = Arc::new(Barrier::new(writers));
    let handles: Vec<_> = (0..writers)
        .map(|_| {
            let store = store.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..each {
                    store.create(NewSession::default()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.count().unwrap(), (writers * each) as u64);
}

#[test]
fn store_and_its_values_cross_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Store>();
    shareable::<coatcheck::Session>();
    shareable::<coatcheck::TokenPair>();
    fn sendable<T: Send + Sync + 'static>() {}
    sendable::<coatcheck::Error>();
    // The handle is shared, not copied: a clone sees the same sessions.
    let (store, _) = common::store();
    let token = common::new_token(&store, NewSession::default());
    let clone = store.clone();
    clone.set(&token, "k", 1).unwrap();
    assert_eq!(store.get(&token).unwrap().get("k"), Some(&Value::Int(1)));
}
