//! Sessions by user, logout everywhere, per-user limits, counts, and the
//! sweeper — with the user and expiry indexes checked against the sessions.

mod common;

use std::time::{Duration, Instant};

use coatcheck::{Config, EndReason, ErrorKind, NewSession, Store};
use common::{memory_store, minutes, new_token, store};

#[test]
fn sessions_of_lists_live_sessions_most_recent_first() {
    let (store, clock) = store();
    let laptop = new_token(&store, NewSession::for_user("alice").label("laptop"));
    clock.advance(minutes(1));
    let phone = new_token(&store, NewSession::for_user("alice").label("phone"));
    new_token(&store, NewSession::for_user("bob"));
    new_token(&store, NewSession::default());
    clock.advance(minutes(1));
    store.get(&laptop).unwrap();
    let list = store.sessions_of("alice").unwrap();
    let labels: Vec<_> = list
        .iter()
        .map(|s| s.meta().label.clone().unwrap())
        .collect();
    assert_eq!(labels, ["laptop", "phone"]);
    assert!(list.iter().all(|s| s.token().is_none()));
    store.logout(&phone).unwrap();
    assert_eq!(store.sessions_of("alice").unwrap().len(), 1);
    assert!(store.sessions_of("nobody").unwrap().is_empty());
}

#[test]
fn users_pages_through_users_with_live_sessions() {
    let (store, clock) = store();
    for user in ["carol", "alice", "dave", "bob", "erin"] {
        new_token(&store, NewSession::for_user(user));
    }
    let expiring = new_token(
        &store,
        NewSession::for_user("aaron").lifetime(coatcheck::Lifetime::new(minutes(1), minutes(1))),
    );
    assert_eq!(store.count_users().unwrap(), 6);
    clock.advance(minutes(2));
    assert!(store.get(&expiring).is_err());
    assert_eq!(store.users(None, 2).unwrap(), ["alice", "bob"]);
    assert_eq!(store.users(Some("bob"), 2).unwrap(), ["carol", "dave"]);
    assert_eq!(store.users(Some("dave"), 10).unwrap(), ["erin"]);
    assert!(store.users(Some("erin"), 10).unwrap().is_empty());
    assert_eq!(store.count_users().unwrap(), 5);
    assert_eq!(store.count().unwrap(), 5);
}

#[test]
fn destroy_user_logs_out_everywhere() {
    let (store, _) = store();
    let tokens: Vec<_> = (0..3)
        .map(|_| new_token(&store, NewSession::for_user("alice")))
        .collect();
    let other = new_token(&store, NewSession::for_user("bob"));
    assert_eq!(store.destroy_user("alice").unwrap(), 3);
    for token in &tokens {
        let err = store.get(token).unwrap_err();
        assert_eq!(err.end_reason(), Some(EndReason::LogoutEverywhere));
    }
    assert!(store.get(&other).is_ok());
    assert_eq!(store.destroy_user("alice").unwrap(), 0);
    assert_eq!(store.count_users().unwrap(), 1);
}

#[test]
fn destroy_user_except_keeps_this_device() {
    let (store, _) = store();
    let here = store.create(NewSession::for_user("alice")).unwrap();
    let elsewhere = new_token(&store, NewSession::for_user("alice"));
    assert_eq!(store.destroy_user_except("alice", &here.id()).unwrap(), 1);
    assert!(store.get(here.token().unwrap()).is_ok());
    assert_eq!(
        store.get(&elsewhere).unwrap_err().kind(),
        ErrorKind::Revoked
    );
}

#[test]
fn destroy_id_and_info_work_by_session_id() {
    let (store, _) = store();
    let session = store.create(NewSession::for_user("alice")).unwrap();
    let id = session.id();
    let parsed: coatcheck::SessionId = id.to_string().parse().unwrap();
    assert_eq!(store.info(&parsed).unwrap().user(), Some("alice"));
    assert!(store.destroy_id(&id).unwrap());
    assert!(!store.destroy_id(&id).unwrap());
    assert_eq!(
        store.info(&id).unwrap_err().end_reason(),
        Some(EndReason::Admin)
    );
}

#[test]
fn max_sessions_per_user_evicts_the_least_recently_used() {
    let (store, clock) = memory_store(Config::default().max_sessions_per_user(Some(2)));
    let first = new_token(&store, NewSession::for_user("alice"));
    clock.advance(minutes(1));
    let second = new_token(&store, NewSession::for_user("alice"));
    clock.advance(minutes(1));
    store.get(&first).unwrap(); // now `second` is the least recently used
    clock.advance(minutes(1));
    let anonymous = new_token(&store, NewSession::default());
    let third = store.login(&anonymous, "alice").unwrap();
    assert!(store.get(&first).is_ok());
    assert!(store.get(third.token().unwrap()).is_ok());
    assert_eq!(
        store.get(&second).unwrap_err().end_reason(),
        Some(EndReason::Evicted)
    );
    assert_eq!(store.sessions_of("alice").unwrap().len(), 2);
}

#[test]
fn sweep_removes_exactly_the_expired_and_keeps_indexes_consistent() {
    let (store, clock) = memory_store(Config::default().sweep_batch(7));
    let expired: Vec<_> = (0..25)
        .map(|i| {
            new_token(
                &store,
                NewSession::for_user(format!("user{}", i % 4))
                    .lifetime(coatcheck::Lifetime::new(minutes(5), minutes(5))),
            )
        })
        .collect();
    let live: Vec<_> = (0..10)
        .map(|i| new_token(&store, NewSession::for_user(format!("user{}", i % 3))))
        .collect();
    let ended = new_token(&store, NewSession::for_user("gone"));
    store.logout(&ended).unwrap();
    clock.advance(minutes(10));
    assert_eq!(store.count().unwrap(), 10);
    assert_eq!(store.sweep().unwrap(), 25);
    assert_eq!(store.stats().unwrap().sessions_swept, 25);
    for token in &expired {
        assert_eq!(store.get(token).unwrap_err().kind(), ErrorKind::NotFound);
    }
    for token in &live {
        assert!(store.get(token).is_ok());
    }
    // The user index agrees: user3 only had expired sessions.
    assert_eq!(store.users(None, 10).unwrap(), ["user0", "user1", "user2"]);
    assert_eq!(store.count_users().unwrap(), 3);
    assert!(store.sessions_of("user3").unwrap().is_empty());
    let listed: usize = ["user0", "user1", "user2"]
        .iter()
        .map(|u| store.sessions_of(u).unwrap().len())
        .sum();
    assert_eq!(listed as u64, store.count().unwrap());
    // A second sweep finds nothing.
    assert_eq!(store.sweep().unwrap(), 0);
}

#[test]
fn the_sweeper_never_removes_a_session_used_within_its_idle_timeout() {
    let (store, clock) = memory_store(
        Config::default()
            .idle_timeout(minutes(30))
            .touch_interval(Some(minutes(10))),
    );
    let token = new_token(&store, NewSession::default());
    clock.advance(minutes(9));
    store.get(&token).unwrap(); // in memory only: the stored expiry is still +30
    clock.advance(minutes(25)); // past the stored expiry, within the real one
    assert_eq!(store.sweep().unwrap(), 0);
    assert!(store.get(&token).is_ok());
}

#[test]
fn the_background_sweeper_runs_and_stops_with_the_store() {
    let clock = coatcheck::ManualClock::new();
    let store = Store::in_memory(
        Config::default()
            .sweep_interval(Some(Duration::from_millis(5)))
            .clock(clock.clone()),
    )
    .unwrap();
    for _ in 0..20 {
        new_token(
            &store,
            NewSession::default().lifetime(coatcheck::Lifetime::new(minutes(1), minutes(1))),
        );
    }
    clock.advance(minutes(2));
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.stats().unwrap().sessions_swept < 20 {
        assert!(
            Instant::now() < deadline,
            "the background sweeper did not run"
        );
        std::thread::yield_now();
    }
    let started = Instant::now();
    store.close().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "close waits for the sweeper promptly"
    );
}
