//! Expiry: idle and absolute timeouts, ttl_basis, remember-me, per-session
//! lifetimes and the touch interval — all on a manual clock.

mod common;

use std::time::Duration;

use coatcheck::{Config, ErrorKind, Lifetime, NewSession, TtlBasis};
use common::{memory_store, minutes, new_token};

fn config(basis: TtlBasis) -> Config {
    Config::default()
        .idle_timeout(minutes(30))
        .absolute_timeout(minutes(120))
        .ttl_basis(basis)
}

#[test]
fn idle_sessions_expire_and_used_ones_slide() {
    let (store, clock) = memory_store(config(TtlBasis::LastAccess));
    let idle = new_token(&store, NewSession::default());
    let busy = new_token(&store, NewSession::default());
    for _ in 0..5 {
        clock.advance(minutes(20));
        store.get(&busy).unwrap();
    }
    // 100 minutes in: the busy one lives, the idle one expired at 30.
    let err = store.get(&idle).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired);
    assert!(err.is_not_found());
    assert!(err.to_string().contains("expired at"), "{err}");
    assert!(store.get(&busy).is_ok());
}

#[test]
fn the_absolute_timeout_ends_even_a_busy_session() {
    let (store, clock) = memory_store(config(TtlBasis::LastAccess));
    let busy = new_token(&store, NewSession::default());
    let created = store.peek(&busy).unwrap().created_at();
    for _ in 0..5 {
        clock.advance(minutes(20));
        let s = store.get(&busy).unwrap();
        assert!(s.expires_at() <= created.saturating_add(minutes(120)));
    }
    clock.advance(minutes(21));
    assert_eq!(store.get(&busy).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn last_update_basis_ignores_reads() {
    let (store, clock) = memory_store(config(TtlBasis::LastUpdate));
    let read_only = new_token(&store, NewSession::default());
    let written = new_token(&store, NewSession::default());
    clock.advance(minutes(20));
    store.get(&read_only).unwrap();
    store.set(&written, "k", 1).unwrap();
    clock.advance(minutes(20));
    assert_eq!(
        store.get(&read_only).unwrap_err().kind(),
        ErrorKind::Expired
    );
    assert!(store.get(&written).is_ok());
}

#[test]
fn created_basis_ignores_everything() {
    let (store, clock) = memory_store(config(TtlBasis::Created));
    let token = new_token(&store, NewSession::default());
    clock.advance(minutes(20));
    store.set(&token, "k", 1).unwrap();
    clock.advance(minutes(11));
    assert_eq!(store.get(&token).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn remember_me_uses_the_long_lifetime() {
    let (store, clock) = memory_store(Config::default());
    let short = new_token(&store, NewSession::for_user("u"));
    let long = new_token(&store, NewSession::for_user("u").remember(true));
    let s = store.peek(&long).unwrap();
    assert!(s.remember());
    assert_eq!(s.lifetime().idle, Duration::from_secs(30 * 86_400));
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(store.get(&short).unwrap_err().kind(), ErrorKind::Expired);
    assert!(store.get(&long).is_ok());
    // Turning it off brings the session back to the short lifetime.
    store.set_remember(&long, false).unwrap();
    clock.advance(minutes(31));
    assert_eq!(store.get(&long).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn a_per_session_lifetime_overrides_the_configured_one() {
    let (store, clock) = memory_store(Config::default());
    let kiosk = new_token(
        &store,
        NewSession::default().lifetime(Lifetime::new(minutes(2), minutes(10))),
    );
    let normal = new_token(&store, NewSession::default());
    clock.advance(minutes(3));
    assert_eq!(store.get(&kiosk).unwrap_err().kind(), ErrorKind::Expired);
    store
        .set_lifetime(&normal, Lifetime::new(minutes(1), minutes(10)))
        .unwrap();
    clock.advance(minutes(2));
    assert_eq!(store.get(&normal).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn reads_touch_memory_and_persist_only_once_per_touch_interval() {
    let (store, clock) = memory_store(
        Config::default()
            .idle_timeout(minutes(30))
            .touch_interval(Some(minutes(3))),
    );
    let token = new_token(&store, NewSession::default());
    let commits = |store: &coatcheck::Store| store.stats().unwrap().commits;
    let before = commits(&store);
    for _ in 0..10 {
        clock.advance(Duration::from_secs(10));
        store.get(&token).unwrap();
    }
    assert_eq!(
        commits(&store),
        before,
        "reads within the interval write nothing"
    );
    // Yet the in-memory touch keeps the session alive past the stored expiry.
    clock.advance(minutes(25));
    let s = store.get(&token).unwrap();
    assert_eq!(s.last_access(), store.peek(&token).unwrap().last_access());
    assert_eq!(
        commits(&store),
        before + 1,
        "an old stored access is persisted once"
    );
    clock.advance(minutes(29));
    assert!(store.get(&token).is_ok());
}

#[test]
fn peek_does_not_extend_the_session() {
    let (store, clock) = memory_store(Config::default().idle_timeout(minutes(30)));
    let token = new_token(&store, NewSession::default());
    clock.advance(minutes(20));
    store.peek(&token).unwrap();
    clock.advance(minutes(11));
    assert_eq!(store.peek(&token).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn an_ended_session_reports_revoked_until_it_would_have_expired() {
    let (store, clock) = memory_store(Config::default().idle_timeout(minutes(30)));
    let token = new_token(&store, NewSession::default());
    store.logout(&token).unwrap();
    clock.advance(minutes(29));
    assert_eq!(store.get(&token).unwrap_err().kind(), ErrorKind::Revoked);
    clock.advance(minutes(2));
    assert_eq!(store.get(&token).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn configuration_out_of_range_is_refused_at_open() {
    for config in [
        Config::default().idle_timeout(Duration::ZERO),
        Config::default().token_bytes(15),
        Config::default().absolute_timeout(minutes(1)),
    ] {
        let err = coatcheck::Store::in_memory(config).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.to_string().starts_with("in_memory: invalid argument"),
            "{err}"
        );
    }
}
