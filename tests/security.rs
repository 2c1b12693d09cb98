//! Security review findings (issue 11): each test is named for the
//! behaviour the fix guarantees and failed on the code before it.

mod common;

use std::time::Duration;

use coatcheck::{Config, EndReason, ErrorKind, ManualClock, NewSession, Store, Timestamp};
use common::{memory_store, new_token, store};

fn assert_revoked(err: coatcheck::Error, reason: EndReason) {
    assert_eq!(err.kind(), ErrorKind::Revoked, "{err}");
    assert_eq!(err.end_reason(), Some(reason), "{err}");
}

#[test]
fn login_ends_a_pair_issued_before_it() {
    let (store, _) = store();
    let planted = new_token(&store, NewSession::default());
    let pair = store.issue_pair(&planted).unwrap();
    store.set(&planted, "cart", "apple").unwrap();
    let signed_in = store.login(&planted, "victim").unwrap();
    // Neither half of the pair reaches the signed-in session.
    assert_revoked(
        store.refresh(&pair.refresh).unwrap_err(),
        EndReason::Rotated,
    );
    assert_revoked(
        store.verify_access(&pair.access).unwrap_err(),
        EndReason::Rotated,
    );
    // The victim's session lives on; a new pair comes from issue_pair.
    let token = signed_in.token().unwrap();
    assert_eq!(store.get(token).unwrap().user(), Some("victim"));
    let fresh = store.issue_pair(token).unwrap();
    assert_eq!(
        store.verify_access(&fresh.access).unwrap().user(),
        Some("victim")
    );
    store.refresh(&fresh.refresh).unwrap();
}

#[test]
fn regenerate_ends_the_pair_of_the_old_token() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::for_user("alice"));
    let pair = store.issue_pair(&token).unwrap();
    let next = store.regenerate(&token).unwrap();
    assert_revoked(
        store.refresh(&pair.refresh).unwrap_err(),
        EndReason::Rotated,
    );
    assert!(store.verify_access(&pair.access).is_err());
    assert_eq!(
        store.get(next.token().unwrap()).unwrap().user(),
        Some("alice")
    );
}

#[test]
fn another_users_login_ends_the_previous_users_pair() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::for_user("alice"));
    let alice = store.issue_pair(&token).unwrap();
    let bob = store.login(&token, "bob").unwrap();
    store.set(bob.token().unwrap(), "secret", "bob's").unwrap();
    assert!(store.refresh(&alice.refresh).is_err());
    assert!(store.verify_access(&alice.access).is_err());
}

#[test]
fn login_without_regeneration_still_ends_the_pair() {
    let (store, _) = memory_store(Config::default().regenerate_on_login(false));
    let token = new_token(&store, NewSession::default());
    let pair = store.issue_pair(&token).unwrap();
    store.login(&token, "victim").unwrap();
    assert_eq!(store.get(&token).unwrap().user(), Some("victim"));
    assert_revoked(
        store.refresh(&pair.refresh).unwrap_err(),
        EndReason::Rotated,
    );
    assert!(store.verify_access(&pair.access).is_err());
}

#[test]
fn a_spent_refresh_token_replayed_after_login_is_theft_of_the_new_session() {
    let (store, clock) = store();
    let token = new_token(&store, NewSession::default());
    let first = store.issue_pair(&token).unwrap();
    store.refresh(&first.refresh).unwrap();
    let signed_in = store.login(&token, "ada").unwrap();
    let after = store.regenerate(signed_in.token().unwrap()).unwrap();
    clock.advance(Duration::from_secs(60));
    let err = store.refresh(&first.refresh).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenReuse, "{err}");
    assert_revoked(
        store.get(after.token().unwrap()).unwrap_err(),
        EndReason::Theft,
    );
}

#[test]
fn zero_refresh_grace_means_no_grace_at_all() {
    let (store, _) = memory_store(Config::default().refresh_grace(Duration::ZERO));
    let token = new_token(&store, NewSession::for_user("u"));
    let pair = store.issue_pair(&token).unwrap();
    store.refresh(&pair.refresh).unwrap();
    // Same millisecond on the manual clock: still reuse.
    let err = store.refresh(&pair.refresh).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenReuse, "{err}");
    assert_revoked(store.get(&token).unwrap_err(), EndReason::Theft);
}

#[test]
fn the_grace_window_ends_at_its_length() {
    let (store, clock) = memory_store(Config::default().refresh_grace(Duration::from_secs(10)));
    let token = new_token(&store, NewSession::for_user("u"));
    let pair = store.issue_pair(&token).unwrap();
    let next = store.refresh(&pair.refresh).unwrap();
    clock.advance(Duration::from_millis(9_999));
    assert_eq!(store.refresh(&pair.refresh).unwrap(), next);
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        store.refresh(&pair.refresh).unwrap_err().kind(),
        ErrorKind::TokenReuse
    );
}

#[test]
fn a_second_issue_pair_stops_the_first_access_token() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::for_user("u"));
    let first = store.issue_pair(&token).unwrap();
    let second = store.issue_pair(&token).unwrap();
    let err = store.verify_access(&first.access).unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        store.verify_access(&second.access).unwrap().user(),
        Some("u")
    );
    // A refresh moves the generation too: the older access token stops.
    let third = store.refresh(&second.refresh).unwrap();
    assert!(store.verify_access(&second.access).is_err());
    store.verify_access(&third.access).unwrap();
}

fn file_store(path: &std::path::Path, clock: &ManualClock) -> Store {
    Store::open(
        path,
        Config::default().sweep_interval(None).clock(clock.clone()),
    )
    .unwrap()
}

#[test]
fn a_retry_within_the_grace_window_after_a_restart_is_not_theft() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000));
    let store = file_store(&path, &clock);
    let token = new_token(&store, NewSession::for_user("u"));
    let pair = store.issue_pair(&token).unwrap();
    let next = store.refresh(&pair.refresh).unwrap();
    store.close().unwrap();
    drop(store);
    // A new process (and, with no access_key, a new signing key).
    let store = file_store(&path, &clock);
    clock.advance(Duration::from_secs(2));
    let retried = store.refresh(&pair.refresh).unwrap();
    assert_eq!(retried.refresh, next.refresh);
    assert_eq!(store.get(&token).unwrap().user(), Some("u"));
    // The new pair still refreshes in the new process.
    store.refresh(&retried.refresh).unwrap();
}

#[test]
fn a_copy_of_the_file_holds_no_csrf_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000));
    let store = file_store(&path, &clock);
    let token = new_token(&store, NewSession::for_user("u"));
    let csrf = store.csrf_token(&token).unwrap();
    assert!(store.verify_csrf(&token, &csrf).unwrap());
    store.close().unwrap();
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    // The unmasked secret of the CSRF token: pad XOR masked.
    use base64::Engine as _;
    let masked = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&csrf)
        .unwrap();
    let secret: Vec<u8> = (0..32).map(|i| masked[i] ^ masked[32 + i]).collect();
    assert!(
        !bytes.windows(32).any(|w| w == secret.as_slice()),
        "the CSRF secret is in the file"
    );
    // Tokens still verify after a reopen, and rotate with the token.
    let store = file_store(&path, &clock);
    assert!(store.verify_csrf(&token, &csrf).unwrap());
    let next = store.regenerate(&token).unwrap();
    assert!(!store.verify_csrf(next.token().unwrap(), &csrf).unwrap());
}

#[test]
fn an_expired_access_token_says_refresh_not_sign_in() {
    let (store, clock) = store();
    let token = new_token(&store, NewSession::for_user("u"));
    let pair = store.issue_pair(&token).unwrap();
    clock.advance(Duration::from_secs(16 * 60));
    store.get(&token).unwrap();
    let err = store.verify_access(&pair.access).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessExpired, "{err}");
    assert!(!err.is_not_found(), "{err}");
    assert_eq!(err.expired_at(), Some(pair.access_expires_at));
    assert!(err.to_string().contains("refresh"), "{err}");
    // The session itself lives on: the refresh works.
    let next = store.refresh(&pair.refresh).unwrap();
    assert_eq!(store.verify_access(&next.access).unwrap().user(), Some("u"));
}

mod cookies {
    use coatcheck::http::{CookieConfig, SameSite};
    use coatcheck::{ErrorKind, NewSession};

    use super::common::store;

    const KEY: &[u8] = b"key-0123456789-0123456789-0123456789";

    fn signed() -> CookieConfig {
        CookieConfig {
            signed: true,
            keys: vec![KEY.to_vec()],
            ..CookieConfig::default()
        }
    }

    #[test]
    fn a_tossed_cookie_does_not_hide_the_signed_session_cookie() {
        let (store, _) = store();
        let session = store.create(NewSession::for_user("u")).unwrap();
        let token = session.token().unwrap().to_owned();
        let config = signed();
        let ours = config.set_cookie(&session).unwrap();
        let ours = ours.split(';').next().unwrap();
        // The sibling subdomain's cookie comes first (longer path or older).
        let planted = format!("session={}.AAAA", "B".repeat(43));
        let header = format!("{planted}; {ours}");
        assert_eq!(
            config.token_from_cookie_header(&header),
            Some(token.clone())
        );
        assert_eq!(
            config.token_candidates_from_cookie_header(&header),
            vec![token]
        );
    }

    #[test]
    fn unsigned_duplicates_are_all_candidates_in_browser_order() {
        let config = CookieConfig::default();
        let planted = "P".repeat(43);
        let ours = "O".repeat(43);
        let header = format!("session={planted}; theme=dark; session={ours}; session={ours}");
        assert_eq!(
            config.token_candidates_from_cookie_header(&header),
            vec![planted.clone(), ours]
        );
        assert_eq!(config.token_from_cookie_header(&header), Some(planted));
        let many: Vec<String> = (0..20).map(|i| format!("session={i:0>43}")).collect();
        assert_eq!(
            config
                .token_candidates_from_cookie_header(&many.join("; "))
                .len(),
            coatcheck::http::MAX_COOKIE_CANDIDATES
        );
    }

    #[test]
    fn a_short_signing_key_accepts_no_cookie() {
        let (store, _) = store();
        let session = store.create(NewSession::default()).unwrap();
        let token = session.token().unwrap();
        let weak = CookieConfig {
            signed: true,
            keys: vec![b"k".to_vec()],
            ..CookieConfig::default()
        };
        assert_eq!(
            weak.validate().unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert!(weak.set_cookie(&session).is_err());
        // Forge with the 1-byte key, as an attacker who guessed it would.
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(b"k").unwrap();
        mac.update(format!("session={token}").as_bytes());
        let signature =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let forged = format!("session={token}.{signature}");
        assert_eq!(weak.token_from_cookie_header(&forged), None);
    }

    #[test]
    fn host_and_secure_prefixes_need_the_attributes_browsers_demand() {
        let host = |f: fn(&mut CookieConfig)| {
            let mut c = CookieConfig {
                name: "__Host-session".into(),
                ..CookieConfig::default()
            };
            f(&mut c);
            c
        };
        host(|_| {}).validate().unwrap();
        for (bad, what) in [
            (host(|c| c.domain = Some("example.com".into())), "Domain"),
            (host(|c| c.path = "/app".into()), "Path"),
            (host(|c| c.secure = false), "Secure"),
        ] {
            let err = bad.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{what}");
            assert!(err.to_string().contains("__Host-"), "{err}");
        }
        // SameSite=None forces Secure on: allowed.
        host(|c| {
            c.secure = false;
            c.same_site = SameSite::None;
        })
        .validate()
        .unwrap();
        let secure = CookieConfig {
            name: "__Secure-sid".into(),
            secure: false,
            ..CookieConfig::default()
        };
        assert!(secure
            .validate()
            .unwrap_err()
            .to_string()
            .contains("__Secure-"));
        let lowercase = CookieConfig {
            name: "__host-sid".into(),
            path: "/x".into(),
            ..CookieConfig::default()
        };
        assert!(lowercase.validate().is_err());
    }
}

mod hardening {
    use coatcheck::{EndReason, ErrorKind, NewSession};

    use super::common::{new_token, store};

    #[test]
    fn a_devices_page_cannot_end_another_users_session() {
        let (store, _) = store();
        let ada = store.create(NewSession::for_user("ada")).unwrap();
        let bob = store.create(NewSession::for_user("bob")).unwrap();
        let anonymous = store.create(NewSession::default()).unwrap();
        assert!(!store.destroy_user_session("ada", &bob.id()).unwrap());
        assert!(!store.destroy_user_session("ada", &anonymous.id()).unwrap());
        assert!(store.get(bob.token().unwrap()).is_ok());
        assert!(store.destroy_user_session("ada", &ada.id()).unwrap());
        assert!(!store.destroy_user_session("ada", &ada.id()).unwrap());
        let err = store.get(ada.token().unwrap()).unwrap_err();
        assert_eq!(err.end_reason(), Some(EndReason::Logout));
        assert_eq!(
            store
                .destroy_user_session("", &ada.id())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn revoke_pairs_ends_the_pair_but_not_the_session() {
        let (store, _) = store();
        let token = new_token(&store, NewSession::for_user("u"));
        assert!(!store.revoke_pairs(&token).unwrap());
        let pair = store.issue_pair(&token).unwrap();
        assert!(store.revoke_pairs(&token).unwrap());
        assert!(!store.revoke_pairs(&token).unwrap());
        assert_eq!(
            store.refresh(&pair.refresh).unwrap_err().kind(),
            ErrorKind::Revoked
        );
        assert!(store
            .verify_access(&pair.access)
            .unwrap_err()
            .is_not_found());
        assert_eq!(store.get(&token).unwrap().user(), Some("u"));
        let again = store.issue_pair(&token).unwrap();
        store.verify_access(&again.access).unwrap();
    }

    #[test]
    fn a_password_change_keeps_only_this_session_under_a_new_token() {
        let (store, _) = store();
        let laptop = new_token(&store, NewSession::for_user("ada"));
        let phone = new_token(&store, NewSession::for_user("ada"));
        let bobs = new_token(&store, NewSession::for_user("bob"));
        store.set(&laptop, "cart", "apple").unwrap();
        let laptop_pair = store.issue_pair(&laptop).unwrap();
        let phone_pair = store.issue_pair(&phone).unwrap();
        let renewed = store.revoke_others_and_regenerate(&laptop).unwrap();
        let fresh = renewed.token().unwrap();
        assert_ne!(fresh, laptop);
        assert_eq!(
            store
                .get(fresh)
                .unwrap()
                .get("cart")
                .and_then(|v| v.as_str()),
            Some("apple")
        );
        assert_eq!(
            store.get(&laptop).unwrap_err().end_reason(),
            Some(EndReason::Rotated)
        );
        assert_eq!(
            store.get(&phone).unwrap_err().end_reason(),
            Some(EndReason::LogoutEverywhere)
        );
        for pair in [&laptop_pair, &phone_pair] {
            assert!(store.refresh(&pair.refresh).is_err());
            assert!(store.verify_access(&pair.access).is_err());
        }
        assert!(store.get(&bobs).is_ok());
        assert_eq!(store.sessions_of("ada").unwrap().len(), 1);
        let anonymous = new_token(&store, NewSession::default());
        assert_eq!(
            store
                .revoke_others_and_regenerate(&anonymous)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
    }
}

mod events {
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use coatcheck::{Config, EndReason, NewSession, SessionEvent, EVENT_QUEUE};

    use super::common::memory_store;

    fn recording(config: Config) -> (coatcheck::Store, mpsc::Receiver<SessionEvent>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let (store, _) = memory_store(config.on_event(move |e: &SessionEvent| {
            let _ = tx.lock().unwrap().send(e.clone());
        }));
        (store, rx)
    }

    fn next(rx: &mpsc::Receiver<SessionEvent>) -> SessionEvent {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("an event within 10 s")
    }

    #[test]
    fn the_hook_hears_every_kind_of_event_and_never_a_token() {
        let (store, rx) = recording(Config::default().max_sessions_per_user(Some(1)));
        let anonymous = store.create(NewSession::default()).unwrap();
        let token = anonymous.token().unwrap().to_owned();
        assert_eq!(
            next(&rx),
            SessionEvent::Created {
                id: anonymous.id(),
                user: None
            }
        );
        let signed_in = store.login(&token, "ada").unwrap();
        assert_eq!(
            next(&rx),
            SessionEvent::Login {
                id: signed_in.id(),
                previous_id: anonymous.id(),
                user: "ada".into()
            }
        );
        let rotated = store.regenerate(signed_in.token().unwrap()).unwrap();
        assert_eq!(
            next(&rx),
            SessionEvent::Rotated {
                id: rotated.id(),
                previous_id: signed_in.id()
            }
        );
        // A second session of ada evicts the first (max 1).
        let phone = store.create(NewSession::for_user("ada")).unwrap();
        let mut seen = vec![next(&rx), next(&rx)];
        seen.sort_by_key(|e| e.kind());
        assert_eq!(
            seen,
            vec![
                SessionEvent::Created {
                    id: phone.id(),
                    user: Some("ada".into())
                },
                SessionEvent::Evicted {
                    id: rotated.id(),
                    user: Some("ada".into())
                },
            ]
        );
        let pair = store.issue_pair(phone.token().unwrap()).unwrap();
        store.refresh(&pair.refresh).unwrap();
        assert!(store.refresh(&pair.refresh).is_ok()); // within grace: no event
        let (store2, rx2) = recording(Config::default().refresh_grace(Duration::ZERO));
        let t = store2.create(NewSession::for_user("bob")).unwrap();
        next(&rx2);
        let p = store2.issue_pair(t.token().unwrap()).unwrap();
        store2.refresh(&p.refresh).unwrap();
        assert!(store2.refresh(&p.refresh).is_err());
        assert_eq!(
            next(&rx2),
            SessionEvent::Theft {
                id: t.id(),
                user: Some("bob".into())
            }
        );
        assert!(store.logout(phone.token().unwrap()).unwrap());
        let ended = next(&rx);
        assert_eq!(
            ended,
            SessionEvent::Ended {
                id: phone.id(),
                user: Some("ada".into()),
                reason: EndReason::Logout
            }
        );
        let json = ended.to_json();
        assert!(json.contains(r#""reason":"logout""#), "{json}");
        for secret in [
            token.as_str(),
            signed_in.token().unwrap(),
            phone.token().unwrap(),
            pair.refresh.as_str(),
        ] {
            assert!(!json.contains(secret));
            assert!(!format!("{ended:?}").contains(secret));
        }
        // A refused call emits nothing.
        assert!(store.login(&token, "eve").is_err());
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_stuck_or_panicking_hook_never_stalls_the_store() {
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let calls = Arc::new(Mutex::new(0usize));
        let counted = calls.clone();
        let (store, _) = memory_store(Config::default().on_event(move |_: &SessionEvent| {
            let first = {
                let mut n = counted.lock().unwrap();
                *n += 1;
                *n == 1
            };
            if first {
                // Stuck until the test lets go, then fails.
                let _ = gate.lock().unwrap().recv();
                panic!("a failing hook");
            }
        }));
        for _ in 0..EVENT_QUEUE + 100 {
            store.create(NewSession::default()).unwrap();
        }
        assert!(store.stats().unwrap().events_dropped >= 99);
        release.send(()).unwrap();
        // The hook's panic did not break the store either.
        store.create(NewSession::for_user("u")).unwrap();
        assert_eq!(store.count().unwrap(), EVENT_QUEUE as u64 + 101);
    }
}

#[test]
fn one_user_cannot_grow_an_unbounded_session_list_by_default() {
    let (store, clock) = store();
    assert_eq!(
        store.config().max_sessions_per_user,
        Some(coatcheck::DEFAULT_MAX_SESSIONS_PER_USER)
    );
    let first = new_token(&store, NewSession::for_user("u"));
    for _ in 0..coatcheck::DEFAULT_MAX_SESSIONS_PER_USER {
        clock.advance(Duration::from_millis(1));
        new_token(&store, NewSession::for_user("u"));
    }
    assert_eq!(
        store.sessions_of("u").unwrap().len(),
        coatcheck::DEFAULT_MAX_SESSIONS_PER_USER
    );
    assert_revoked(store.get(&first).unwrap_err(), EndReason::Evicted);
    // None still means no limit.
    let (unbounded, _) = memory_store(Config::default().max_sessions_per_user(None));
    for _ in 0..=coatcheck::DEFAULT_MAX_SESSIONS_PER_USER {
        new_token(&unbounded, NewSession::for_user("u"));
    }
    assert_eq!(
        unbounded.sessions_of("u").unwrap().len(),
        coatcheck::DEFAULT_MAX_SESSIONS_PER_USER + 1
    );
}

#[test]
fn a_bound_session_presented_by_another_client_ends_with_its_own_reason() {
    use coatcheck::{Binding, Meta};
    let (store, _) = memory_store(Config::default().binding(Binding {
        user_agent: true,
        ipv4_prefix: Some(24),
        ipv6_prefix: Some(64),
    }));
    let client = |ip: &str, ua: &str| Meta {
        ip: Some(ip.into()),
        user_agent: Some(ua.into()),
        label: None,
    };
    let token = new_token(
        &store,
        NewSession::for_user("u")
            .ip("203.0.113.7")
            .user_agent("Firefox"),
    );
    assert!(store
        .get_from(&token, &client("203.0.113.99", "Firefox"))
        .is_ok());
    let err = store
        .get_from(&token, &client("198.51.100.7", "Firefox"))
        .unwrap_err();
    assert_revoked(err, EndReason::BindingMismatch);
    assert_revoked(store.get(&token).unwrap_err(), EndReason::BindingMismatch);
    // Another session: a different user agent ends it too.
    let other = new_token(
        &store,
        NewSession::for_user("u")
            .ip("203.0.113.7")
            .user_agent("Firefox"),
    );
    assert_revoked(
        store
            .get_from(&other, &client("203.0.113.7", "curl/8"))
            .unwrap_err(),
        EndReason::BindingMismatch,
    );
    // Without binding, get_from is get.
    let (plain, _) = common::store();
    let t = new_token(&plain, NewSession::default().user_agent("Firefox"));
    assert!(plain
        .get_from(&t, &client("198.51.100.7", "curl/8"))
        .is_ok());
}

#[test]
fn access_keys_rotate_sign_with_the_new_verify_with_any() {
    const OLD: &[u8] = b"old-access-key-0123456789-0123456789";
    const NEW: &[u8] = b"new-access-key-0123456789-0123456789";
    use base64::Engine as _;
    let header = |access: &str| -> serde_json::Value {
        let part = access.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000));
    let open = |config: Config| {
        Store::open(&path, config.sweep_interval(None).clock(clock.clone())).unwrap()
    };
    let store = open(Config::default().access_key(Some(OLD.to_vec())));
    let token = new_token(&store, NewSession::for_user("u"));
    let old_pair = store.issue_pair(&token).unwrap();
    let old_kid = header(&old_pair.access)["kid"].as_str().unwrap().to_owned();
    store.close().unwrap();
    drop(store);

    // Rotate in: sign with NEW, still accept OLD.
    let store = open(
        Config::default()
            .access_key(Some(NEW.to_vec()))
            .retired_access_keys(vec![OLD.to_vec()]),
    );
    assert_eq!(
        store.verify_access(&old_pair.access).unwrap().user(),
        Some("u")
    );
    let new_pair = store.refresh(&old_pair.refresh).unwrap();
    let new_kid = header(&new_pair.access)["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    store.verify_access(&new_pair.access).unwrap();
    store.close().unwrap();
    drop(store);

    // Rotate out: OLD is gone.
    let store = open(Config::default().access_key(Some(NEW.to_vec())));
    store.verify_access(&new_pair.access).unwrap();
    let err = store.verify_access(&old_pair.access).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken, "{err}");
    assert!(Config::default()
        .retired_access_keys(vec![b"short".to_vec()])
        .validate()
        .is_err());
    // The refresh successor does not depend on the signing key: a retry
    // of the spent refresh token after the rotation still gets its pair.
    assert_eq!(
        store.refresh(&old_pair.refresh).unwrap().refresh,
        new_pair.refresh
    );
}
