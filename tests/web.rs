//! The web layer: cookies, bearer tokens, CSRF, and access/refresh pairs.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use coatcheck::http::{token_from_authorization, CookieConfig, SameSite};
use coatcheck::{Config, EndReason, ErrorKind, NewSession};
use common::{memory_store, minutes, new_token, store};
use proptest::prelude::*;

fn signed(keys: &[&[u8]]) -> CookieConfig {
    CookieConfig {
        signed: true,
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        ..CookieConfig::default()
    }
}

const KEY_A: &[u8] = b"key-a-0123456789-0123456789-0123456789";
const KEY_B: &[u8] = b"key-b-0123456789-0123456789-0123456789";

/// The `name=value` part of a Set-Cookie header, as a browser sends it back.
fn echo(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[test]
fn default_cookie_is_secure_http_only_lax_and_ends_with_the_browser() {
    let (store, _) = store();
    let session = store.create(NewSession::default()).unwrap();
    let header = CookieConfig::default().set_cookie(&session).unwrap();
    assert!(header.starts_with(&format!("session={}", session.token().unwrap())));
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{header} lacks {attribute}");
    }
    assert!(
        !header.contains("Max-Age") && !header.contains("Expires"),
        "{header}"
    );
}

#[test]
fn remember_me_cookies_follow_the_session_lifetime() {
    let (store, _) = store();
    let session = store
        .create(NewSession::for_user("u").remember(true))
        .unwrap();
    let header = CookieConfig::default().set_cookie(&session).unwrap();
    assert!(
        header.contains(&format!("Max-Age={}", 30 * 86_400)),
        "{header}"
    );
    assert!(header.contains("Expires="), "{header}");
}

#[test]
fn domain_and_same_site_none_which_forces_secure() {
    let (store, _) = store();
    let session = store.create(NewSession::default()).unwrap();
    let config = CookieConfig {
        name: "sid".into(),
        domain: Some("example.com".into()),
        path: "/app".into(),
        secure: false,
        same_site: SameSite::None,
        ..CookieConfig::default()
    };
    let header = config.set_cookie(&session).unwrap();
    assert!(header.starts_with("sid="));
    assert!(header.contains("Domain=example.com"), "{header}");
    assert!(header.contains("Path=/app"), "{header}");
    assert!(
        header.contains("SameSite=None") && header.contains("Secure"),
        "{header}"
    );
    let strict = CookieConfig {
        same_site: SameSite::Strict,
        http_only: false,
        ..CookieConfig::default()
    };
    let header = strict.set_cookie(&session).unwrap();
    assert!(
        header.contains("SameSite=Strict") && !header.contains("HttpOnly"),
        "{header}"
    );
}

#[test]
fn a_session_without_its_token_needs_set_cookie_for() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let read = store.get(&token).unwrap();
    let err = CookieConfig::default().set_cookie(&read).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let header = CookieConfig::default()
        .set_cookie_for(&token, &read)
        .unwrap();
    assert_eq!(
        CookieConfig::default().token_from_cookie_header(echo(&header)),
        Some(token)
    );
}

#[test]
fn clear_cookie_deletes_the_same_cookie() {
    let config = CookieConfig {
        domain: Some("example.com".into()),
        ..CookieConfig::default()
    };
    let header = config.clear_cookie();
    assert!(header.starts_with("session=;"), "{header}");
    assert!(header.contains("Max-Age=0"), "{header}");
    assert!(
        header.contains("Domain=example.com") && header.contains("Path=/"),
        "{header}"
    );
    assert!(header.contains("Expires=Thu, 01 Jan 1970"), "{header}");
}

#[test]
fn cookie_header_parsing_is_strict_about_the_session_cookie() {
    let config = CookieConfig::default();
    let token = "A".repeat(43);
    let t = Some(token.clone());
    assert_eq!(
        config.token_from_cookie_header(&format!("session={token}")),
        t
    );
    assert_eq!(
        config.token_from_cookie_header(&format!("theme=dark; session={token}; lang=en")),
        t
    );
    assert_eq!(
        config.token_from_cookie_header(&format!("a=b;;session={token};")),
        t
    );
    for hostile in [
        String::new(),
        "theme=dark".into(),
        "session=".into(),
        "session=a=b".into(),
        "session=tök".into(),
        format!("session={}", "A".repeat(600)),
        format!("x={}; session={token}", "y".repeat(1 << 20)),
        ";;;;".into(),
        "session".into(),
    ] {
        assert_eq!(
            config.token_from_cookie_header(&hostile),
            None,
            "{hostile:.80}"
        );
    }
}

#[test]
fn signed_cookies_verify_and_survive_key_rotation() {
    let (store, _) = store();
    let session = store.create(NewSession::default()).unwrap();
    let token = session.token().unwrap().to_owned();
    let old = signed(&[KEY_A]);
    let header = old.set_cookie(&session).unwrap();
    let sent = echo(&header);
    assert!(sent.starts_with(&format!("session={token}.")));
    assert_eq!(old.token_from_cookie_header(sent), Some(token.clone()));
    // Rotate in: sign with B, still accept A.
    let rotating = signed(&[KEY_B, KEY_A]);
    assert_eq!(rotating.token_from_cookie_header(sent), Some(token.clone()));
    let fresh = rotating.set_cookie(&session).unwrap();
    assert_ne!(echo(&fresh), sent);
    // Rotate out: A is gone, its cookies are refused.
    let rotated = signed(&[KEY_B]);
    assert_eq!(rotated.token_from_cookie_header(sent), None);
    assert_eq!(
        rotated.token_from_cookie_header(echo(&fresh)),
        Some(token.clone())
    );
    // Unsigned, truncated or re-signed values are refused.
    assert_eq!(
        old.token_from_cookie_header(&format!("session={token}")),
        None
    );
    assert_eq!(old.token_from_cookie_header(&sent[..sent.len() - 3]), None);
    assert_eq!(old.token_from_cookie_header(&format!("{sent}x")), None);
}

#[test]
fn a_signature_cannot_move_to_another_cookie_name() {
    let (store, _) = store();
    let session = store.create(NewSession::default()).unwrap();
    let other = CookieConfig {
        name: "other".into(),
        ..signed(&[KEY_A])
    };
    let header = other.set_cookie(&session).unwrap();
    let value = echo(&header).strip_prefix("other=").unwrap();
    let moved = format!("session={value}");
    assert_eq!(signed(&[KEY_A]).token_from_cookie_header(&moved), None);
}

proptest! {
    #[test]
    fn parsers_never_panic(header in ".{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for input in [&header, &lossy] {
            let _ = CookieConfig::default().token_from_cookie_header(input);
            let _ = signed(&[KEY_A]).token_from_cookie_header(input);
            let _ = token_from_authorization(input);
        }
    }

    #[test]
    fn set_cookie_round_trips(body in "[A-Za-z0-9_-]{22,80}", sign in any::<bool>(), name in "[a-z]{1,10}") {
        let config = CookieConfig { name, signed: sign, keys: vec![KEY_A.to_vec()], ..CookieConfig::default() };
        let store = coatcheck::Store::in_memory(Config::default().sweep_interval(None)).unwrap();
        let session = store.create(NewSession::default()).unwrap();
        let header = config.set_cookie_for(&body, &session).unwrap();
        prop_assert_eq!(config.token_from_cookie_header(echo(&header)), Some(body));
    }
}

#[test]
fn csrf_tokens_are_masked_fresh_and_rotate_with_the_session() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let tokens: Vec<_> = (0..20).map(|_| store.csrf_token(&token).unwrap()).collect();
    let mut unique = tokens.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 20, "every call gives a new mask");
    for t in &tokens {
        assert!(store.verify_csrf(&token, t).unwrap());
    }
    let other = new_token(&store, NewSession::default());
    assert!(!store.verify_csrf(&other, &tokens[0]).unwrap());
    for forged in [
        "",
        "x",
        &"A".repeat(86),
        &tokens[0][..85],
        &format!("{}!", &tokens[0][..85]),
    ] {
        assert!(!store.verify_csrf(&token, forged).unwrap(), "{forged}");
    }
    let fresh = store.login(&token, "alice").unwrap();
    let new = fresh.token().unwrap();
    assert!(
        !store.verify_csrf(new, &tokens[0]).unwrap(),
        "login rotates the secret"
    );
    assert!(store
        .verify_csrf(new, &store.csrf_token(new).unwrap())
        .unwrap());
    assert_eq!(
        store.verify_csrf(&token, &tokens[0]).unwrap_err().kind(),
        ErrorKind::Revoked
    );
}

#[test]
fn the_csrf_cookie_is_readable_by_scripts_and_verifies() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let csrf = store.csrf_token(&token).unwrap();
    let header = CookieConfig::default().csrf_cookie(&csrf);
    assert!(
        header.starts_with(&format!("XSRF-TOKEN={csrf}")),
        "{header}"
    );
    assert!(!header.contains("HttpOnly"), "{header}");
    // The app echoes the cookie in X-XSRF-TOKEN.
    let echoed = echo(&header).strip_prefix("XSRF-TOKEN=").unwrap();
    assert!(store.verify_csrf(&token, echoed).unwrap());
}

#[test]
fn pairs_rotate_and_verify() {
    let (store, clock) = store();
    let token = new_token(&store, NewSession::for_user("42"));
    let pair = store.issue_pair(&token).unwrap();
    assert_eq!(pair.access.split('.').count(), 3);
    let session = store.verify_access(&pair.access).unwrap();
    assert_eq!(session.user(), Some("42"));
    // Claims are readable by clients.
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(pair.access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sid"], session.id().to_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() * 1000,
        pair.access_expires_at.as_millis()
    );
    clock.advance(minutes(1));
    let next = store.refresh(&pair.refresh).unwrap();
    assert_ne!(next.refresh, pair.refresh);
    assert_ne!(next.access, pair.access);
    assert!(store.verify_access(&next.access).is_ok());
    let third = store.refresh(&next.refresh).unwrap();
    assert!(store.verify_access(&third.access).is_ok());
}

#[test]
fn replaying_a_spent_refresh_token_is_theft() {
    let (store, clock) = store();
    let token = new_token(&store, NewSession::for_user("42"));
    let pair = store.issue_pair(&token).unwrap();
    let next = store.refresh(&pair.refresh).unwrap();
    clock.advance(Duration::from_secs(11));
    let err = store.refresh(&pair.refresh).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenReuse);
    // Everything of the session is dead, for the thief and the victim.
    for err in [
        store.get(&token).unwrap_err(),
        store.verify_access(&next.access).unwrap_err(),
        store.refresh(&next.refresh).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Revoked, "{err}");
        assert_eq!(err.end_reason(), Some(EndReason::Theft));
    }
}

#[test]
fn a_retry_within_the_grace_window_gets_the_same_pair() {
    let (store, clock) = store();
    let token = new_token(&store, NewSession::default());
    let pair = store.issue_pair(&token).unwrap();
    let first = store.refresh(&pair.refresh).unwrap();
    clock.advance(Duration::from_secs(5));
    let again = store.refresh(&pair.refresh).unwrap();
    assert_eq!(first, again);
    assert!(store.get(&token).is_ok());
    // After the new token was itself spent, the old one is theft even in grace.
    store.refresh(&first.refresh).unwrap();
    assert_eq!(
        store.refresh(&pair.refresh).unwrap_err().kind(),
        ErrorKind::TokenReuse
    );
}

#[test]
fn access_and_refresh_tokens_expire() {
    let (store, clock) = memory_store(
        Config::default()
            .idle_timeout(Duration::from_secs(90 * 86_400))
            .absolute_timeout(Duration::from_secs(90 * 86_400))
            .refresh_ttl(Duration::from_secs(86_400)),
    );
    let token = new_token(&store, NewSession::default());
    let pair = store.issue_pair(&token).unwrap();
    clock.advance(minutes(16));
    assert_eq!(
        store.verify_access(&pair.access).unwrap_err().kind(),
        ErrorKind::AccessExpired
    );
    let next = store.refresh(&pair.refresh).unwrap();
    assert!(store.verify_access(&next.access).is_ok());
    clock.advance(Duration::from_secs(86_401));
    assert_eq!(
        store.refresh(&next.refresh).unwrap_err().kind(),
        ErrorKind::Expired
    );
}

#[test]
fn revocation_reaches_access_tokens_at_once() {
    let (store, _) = store();
    for end in ["logout", "destroy_user", "destroy_id"] {
        let session = store.create(NewSession::for_user("u")).unwrap();
        let token = session.token().unwrap();
        let pair = store.issue_pair(token).unwrap();
        match end {
            "logout" => assert!(store.logout(token).unwrap()),
            "destroy_user" => assert_eq!(store.destroy_user("u").unwrap(), 1),
            _ => assert!(store.destroy_id(&session.id()).unwrap()),
        }
        assert_eq!(
            store.verify_access(&pair.access).unwrap_err().kind(),
            ErrorKind::Revoked,
            "{end}"
        );
        assert_eq!(
            store.refresh(&pair.refresh).unwrap_err().kind(),
            ErrorKind::Revoked,
            "{end}"
        );
    }
}

#[test]
fn forged_access_tokens_are_refused() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let pair = store.issue_pair(&token).unwrap();
    let parts: Vec<&str> = pair.access.split('.').collect();
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let hs512 = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#);
    let other_store = Store::in_memory(Config::default().sweep_interval(None)).unwrap();
    let other_token = new_token(&other_store, NewSession::default());
    let foreign = other_store.issue_pair(&other_token).unwrap();
    for forged in [
        format!("{none_header}.{}.", parts[1]),
        format!("{hs512}.{}.{}", parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 2]
        ),
        format!("{}.{}x.{}", parts[0], parts[1], parts[2]),
        foreign.access,
        "a.b".into(),
        String::new(),
        "x".repeat(5000),
    ] {
        let err = store.verify_access(&forged).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidToken, "{forged:.60}: {err}");
    }
}

use coatcheck::Store;
