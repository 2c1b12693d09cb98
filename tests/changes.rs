//! `Store::apply`: a batch of changes to one session, in one atomic write
//! and one commit (what a framework's session does at the end of a request).

mod common;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use coatcheck::{Changes, Config, ErrorKind, Lifetime, NewSession, Store, Value};

fn file_store(config: Config) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb"), config.sweep_interval(None)).unwrap();
    (dir, store)
}

#[test]
fn a_batch_sets_removes_flashes_and_changes_lifetime_in_one_commit() {
    let (_dir, store) = file_store(Config::default());
    let token = common::new_token(
        &store,
        NewSession::default().insert("step", 1).insert("keep", "me"),
    );
    let before = store.peek(&token).unwrap().version();
    let commits = store.stats().unwrap().durable_commits;
    let kiosk = Lifetime::new(Duration::from_secs(120), Duration::from_secs(3600));

    store
        .apply(
            &token,
            Changes::new()
                .set("a", 1)
                .set("b", "two")
                .set("c", vec![Value::from(3)])
                .remove("step")
                .flash("notice", "Saved")
                .lifetime(kiosk)
                .remember(true),
        )
        .unwrap();

    assert_eq!(store.stats().unwrap().durable_commits, commits + 1);
    let session = store.peek(&token).unwrap();
    assert_eq!(session.get("a"), Some(&Value::from(1)));
    assert_eq!(session.get("b"), Some(&Value::from("two")));
    assert_eq!(session.get("c"), Some(&Value::from(vec![Value::from(3)])));
    assert_eq!(session.get("step"), None);
    assert_eq!(session.get("keep"), Some(&Value::from("me")));
    assert_eq!(session.version(), before + 1, "one version bump per batch");
    assert_eq!(session.lifetime(), kiosk);
    assert!(session.remember());
    assert_eq!(
        store.take_flash(&token).unwrap().get("notice"),
        Some(&Value::from("Saved"))
    );
}

#[test]
fn later_changes_of_a_key_win() {
    let (store, _clock) = common::store();
    let token = common::new_token(&store, NewSession::default().insert("k", 0));
    store
        .apply(
            &token,
            Changes::new()
                .remove("k")
                .set("k", 2)
                .set("j", 1)
                .remove("j"),
        )
        .unwrap();
    let session = store.peek(&token).unwrap();
    assert_eq!(session.get("k"), Some(&Value::from(2)));
    assert_eq!(session.get("j"), None);
}

#[test]
fn an_empty_or_idle_batch_writes_nothing() {
    let (_dir, store) = file_store(Config::default());
    let token = common::new_token(&store, NewSession::default().insert("k", 1));
    let version = store.peek(&token).unwrap().version();
    let commits = store.stats().unwrap().durable_commits;

    store.apply(&token, Changes::new()).unwrap();
    store
        .apply(
            &token,
            Changes::new().set("k", 1).remove("absent").remember(false),
        )
        .unwrap();

    assert_eq!(store.peek(&token).unwrap().version(), version);
    assert_eq!(store.stats().unwrap().durable_commits, commits);
}

#[test]
fn a_lifetime_or_remember_change_alone_keeps_the_version() {
    let (store, _clock) = common::store();
    let token = common::new_token(&store, NewSession::default());
    let version = store.peek(&token).unwrap().version();
    store
        .apply(&token, Changes::new().remember(true).lifetime(None))
        .unwrap();
    let session = store.peek(&token).unwrap();
    assert!(session.remember());
    assert_eq!(session.version(), version);
    assert_eq!(session.lifetime(), store.config().default_lifetime(true));
}

#[test]
fn a_bad_value_in_the_batch_changes_nothing() {
    let (store, _clock) = common::memory_store(Config::default().max_value_bytes(256));
    let token = common::new_token(&store, NewSession::default().insert("k", 1));
    let before = store.peek(&token).unwrap();

    let bad_batches = [
        Changes::new().set("a", 2).set("", 3),
        Changes::new().set("a", 2).remove(""),
        Changes::new().set("a", 2).flash("", "x"),
        Changes::new().set("a", 2).set("b", f64::NAN),
        Changes::new()
            .set("a", 2)
            .remember(true)
            .lifetime(Lifetime::new(
                Duration::from_secs(60),
                Duration::from_secs(10),
            )),
        Changes::new()
            .set("a", 2)
            .remove("k")
            .set("big", "x".repeat(1000)),
    ];
    for batch in bad_batches {
        let err = store.apply(&token, batch.clone()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{batch:?}: {err}");
    }

    let after = store.peek(&token).unwrap();
    assert_eq!(after.version(), before.version());
    assert_eq!(after.get("a"), None);
    assert_eq!(after.get("k"), Some(&Value::from(1)));
    assert!(!after.remember());
    assert!(store.take_flash(&token).unwrap().is_empty());
}

#[test]
fn two_concurrent_applies_on_different_keys_both_survive() {
    let (_dir, store) = file_store(Config::default());
    let token = common::new_token(&store, NewSession::default());
    let v0 = store.peek(&token).unwrap().version();
    let threads: i64 = 4;
    let rounds: i64 = 30;
    let barrier = Arc::new(Barrier::new(threads as usize));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (store, token, barrier) = (store.clone(), token.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for i in 0..rounds {
                    let batch = Changes::new()
                        .set(format!("a{t}"), i)
                        .set(format!("b{t}"), i * 10)
                        .flash(format!("f{t}"), i);
                    store.apply(&token, batch).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let session = store.peek(&token).unwrap();
    for t in 0..threads {
        assert_eq!(
            session.get(&format!("a{t}")),
            Some(&Value::from(rounds - 1))
        );
        assert_eq!(
            session.get(&format!("b{t}")),
            Some(&Value::from((rounds - 1) * 10))
        );
    }
    assert_eq!(session.version(), v0 + (threads * rounds) as u64);
    assert_eq!(store.take_flash(&token).unwrap().len() as i64, threads);
}

#[test]
fn a_batch_never_brings_back_an_ended_session() {
    let (store, clock) = common::store();
    let ended = common::new_token(&store, NewSession::default());
    store.logout(&ended).unwrap();
    let err = store.apply(&ended, Changes::new().set("k", 1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Revoked);
    assert_eq!(
        store.apply(&ended, Changes::new()).unwrap_err().kind(),
        ErrorKind::Revoked
    );

    let idle = common::new_token(&store, NewSession::default());
    clock.advance(store.config().idle_timeout + Duration::from_secs(1));
    let err = store
        .apply(&idle, Changes::new().set("k", 1).remember(true))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(store.peek(&idle).unwrap_err().is_not_found());

    let never = "x".repeat(10);
    assert_eq!(
        store
            .apply(&never, Changes::new().set("k", 1))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidToken
    );
}

#[test]
fn a_batch_that_empties_an_anonymous_session_ends_it_when_configured() {
    let (store, _clock) = common::memory_store(Config::default().destroy_when_empty(true));
    let token = common::new_token(&store, NewSession::default().insert("k", 1));
    store.apply(&token, Changes::new().remove("k")).unwrap();
    assert!(store.peek(&token).unwrap_err().is_not_found());
}

#[test]
fn debug_names_keys_but_no_values() {
    let batch = Changes::new()
        .set("card", "4111-secret")
        .flash("msg", "hidden-value");
    let shown = format!("{batch:?}");
    assert!(shown.contains("card") && shown.contains("msg"), "{shown}");
    assert!(
        !shown.contains("secret") && !shown.contains("hidden"),
        "{shown}"
    );
}

#[test]
fn a_batch_reads_from_json_and_refuses_what_it_does_not_know() {
    let (store, _clock) = common::store();
    let token = common::new_token(&store, NewSession::default().insert("step", 1));
    let batch = Changes::from_json_str(
        r#"{"set": {"theme": "dark", "n": 3}, "remove": ["step"], "flash": {"notice": "hi"},
            "lifetime": {"idle_ms": 60000, "absolute_ms": 600000}, "remember": true}"#,
    )
    .unwrap();
    store.apply(&token, batch).unwrap();
    let session = store.peek(&token).unwrap();
    assert_eq!(session.get("theme"), Some(&Value::from("dark")));
    assert_eq!(session.get("n"), Some(&Value::from(3)));
    assert_eq!(session.get("step"), None);
    assert!(session.remember());
    assert_eq!(
        session.lifetime(),
        Lifetime::new(Duration::from_secs(60), Duration::from_secs(600))
    );
    let reset = Changes::from_json_str(r#"{"lifetime": null}"#).unwrap();
    store.apply(&token, reset).unwrap();
    assert!(!store.peek(&token).unwrap().has_custom_lifetime());

    for bad in [
        "",
        "[]",
        r#"{"sets": {}}"#,
        r#"{"set": []}"#,
        r#"{"remove": [1]}"#,
        r#"{"remove": "k"}"#,
        r#"{"remember": 1}"#,
        r#"{"lifetime": {"idle_ms": 1}}"#,
        r#"{"lifetime": {"idle_ms": -1, "absolute_ms": 5}}"#,
        r#"{"lifetime": 60}"#,
    ] {
        let err = Changes::from_json_str(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}: {err}");
    }
}

#[test]
fn clear_then_set_replaces_the_data_in_one_batch() {
    let (store, _clock) = common::store();
    let token = common::new_token(
        &store,
        NewSession::default().insert("old", 1).insert("k", 0),
    );
    let version = store.peek(&token).unwrap().version();
    store
        .apply(&token, Changes::new().clear().set("k", 2).set("new", 3))
        .unwrap();
    let session = store.peek(&token).unwrap();
    assert_eq!(session.get("old"), None);
    assert_eq!(session.get("k"), Some(&Value::from(2)));
    assert_eq!(session.get("new"), Some(&Value::from(3)));
    assert_eq!(session.version(), version + 1);
    let from_json = Changes::from_json_str(r#"{"clear": true, "set": {"only": 1}}"#).unwrap();
    store.apply(&token, from_json).unwrap();
    assert_eq!(store.peek(&token).unwrap().data().len(), 1);
}
