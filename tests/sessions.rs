//! Every per-session operation, and its error cases.

mod common;

use coatcheck::{Config, EndReason, ErrorKind, Lifetime, Meta, NewSession, Store, Value};
use common::{memory_store, minutes, new_token, store};

#[test]
fn create_then_get_returns_the_data_without_the_token() {
    let (store, _) = store();
    let created = store
        .create(
            NewSession::default()
                .insert("cart", vec![Value::from("tea")])
                .ip("203.0.113.7"),
        )
        .unwrap();
    let token = created.token().unwrap().to_owned();
    assert_eq!(created.version(), 0);
    assert_eq!(created.user(), None);

    let read = store.get(&token).unwrap();
    assert_eq!(read.id(), created.id());
    assert_eq!(
        read.token(),
        None,
        "only create/regenerate/login show the token"
    );
    assert_eq!(
        read.get("cart"),
        Some(&Value::from(vec![Value::from("tea")]))
    );
    assert_eq!(read.meta().ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(store.info(&created.id()).unwrap().data(), read.data());
}

#[test]
fn unknown_and_malformed_tokens_are_told_apart() {
    let (store, _) = store();
    let unknown = "A".repeat(43);
    assert_eq!(store.get(&unknown).unwrap_err().kind(), ErrorKind::NotFound);
    for bad in [
        "",
        "short",
        &"a".repeat(600),
        "has spaces in it and is long enough",
    ] {
        let err = store.get(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidToken, "{bad:?}");
        assert!(err.to_string().starts_with("get: invalid token"), "{err}");
    }
    for err in [
        store.set(&unknown, "k", 1).unwrap_err(),
        store.remove(&unknown, "k").unwrap_err(),
        store.take_flash(&unknown).unwrap_err(),
        store.regenerate(&unknown).unwrap_err(),
        store.login(&unknown, "u").unwrap_err(),
        store
            .replace_if(&unknown, 0, Default::default())
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
}

#[test]
fn set_remove_and_versions() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    store.set(&token, "theme", "dark").unwrap();
    store.set(&token, "n", 3).unwrap();
    assert_eq!(store.peek(&token).unwrap().version(), 2);

    // Setting a key to the value it holds writes nothing.
    store.set(&token, "theme", "dark").unwrap();
    assert_eq!(store.peek(&token).unwrap().version(), 2);

    assert_eq!(
        store.remove(&token, "theme").unwrap(),
        Some(Value::from("dark"))
    );
    assert_eq!(store.remove(&token, "theme").unwrap(), None);
    let s = store.peek(&token).unwrap();
    assert_eq!(s.version(), 3);
    assert_eq!(s.get("n"), Some(&Value::Int(3)));
    assert_eq!(s.get("theme"), None);
}

#[test]
fn bad_values_are_refused_and_change_nothing() {
    let (store, _) = memory_store(Config::default().max_value_bytes(1024));
    let token = new_token(&store, NewSession::default().insert("a", 1));
    let nan = store.set(&token, "x", f64::NAN).unwrap_err();
    assert_eq!(nan.kind(), ErrorKind::InvalidArgument);
    assert!(nan.to_string().contains("\"x\""), "{nan}");
    let big = store.set(&token, "blob", vec![0u8; 2048]).unwrap_err();
    assert_eq!(big.kind(), ErrorKind::InvalidArgument);
    assert!(big.to_string().contains("max_value_bytes"), "{big}");
    assert_eq!(
        store.set(&token, "", 1).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let s = store.peek(&token).unwrap();
    assert_eq!(s.version(), 0);
    assert_eq!(s.data().len(), 1);
    assert!(store
        .create(NewSession::default().insert("blob", vec![0u8; 4096]))
        .is_err());
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn update_is_a_read_modify_write_that_skips_no_op_writes() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    for _ in 0..3 {
        store
            .update(&token, |data| {
                let n = data.get("n").and_then(Value::as_i64).unwrap_or(0);
                data.insert("n".into(), Value::from(n + 1));
            })
            .unwrap();
    }
    let s = store.peek(&token).unwrap();
    assert_eq!(s.get("n"), Some(&Value::Int(3)));
    assert_eq!(s.version(), 3);
    let seen = store.update(&token, |data| data.len()).unwrap();
    assert_eq!(seen, 1);
    assert_eq!(store.peek(&token).unwrap().version(), 3);
}

#[test]
fn replace_if_detects_a_moved_version() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let v = store.peek(&token).unwrap().version();
    let mut data = coatcheck::Data::new();
    data.insert("a".into(), Value::from(1));
    assert_eq!(store.replace_if(&token, v, data.clone()).unwrap(), v + 1);
    let err = store.replace_if(&token, v, data).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.conflict_versions(), Some((v, v + 1)));
}

#[test]
fn destroy_ends_the_session_for_good() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default().insert("a", 1));
    assert!(store.destroy(&token).unwrap());
    let err = store.get(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Revoked);
    assert_eq!(err.end_reason(), Some(EndReason::Logout));
    assert!(err.is_not_found());
    // No write through the old token brings it back.
    assert_eq!(
        store.set(&token, "a", 2).unwrap_err().kind(),
        ErrorKind::Revoked
    );
    assert_eq!(
        store.flash(&token, "a", 2).unwrap_err().kind(),
        ErrorKind::Revoked
    );
    // Destroying again, or an unknown token, is not an error.
    assert!(!store.destroy(&token).unwrap());
    assert!(!store.logout(&"Q".repeat(43)).unwrap());
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn regenerate_moves_the_session_to_a_new_token() {
    let (store, _) = store();
    let old = new_token(&store, NewSession::default().insert("cart", 2));
    let old_id = store.peek(&old).unwrap().id();
    let fresh = store.regenerate(&old).unwrap();
    let new = fresh.token().unwrap();
    assert_ne!(new, old);
    assert_ne!(fresh.id(), old_id);
    assert_eq!(store.get(new).unwrap().get("cart"), Some(&Value::Int(2)));
    let err = store.get(&old).unwrap_err();
    assert_eq!(err.end_reason(), Some(EndReason::Rotated));
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn login_keeps_cart_and_changes_token() {
    let (store, _) = store();
    let anonymous = new_token(
        &store,
        NewSession::default().insert("cart", vec![Value::from("tea")]),
    );
    let session = store.login(&anonymous, "alice").unwrap();
    let token = session.token().expect("login regenerates by default");
    assert_ne!(token, anonymous);
    assert_eq!(session.user(), Some("alice"));
    assert_eq!(session.version(), 1);
    let read = store.get(token).unwrap();
    assert_eq!(
        read.get("cart"),
        Some(&Value::from(vec![Value::from("tea")]))
    );
    assert_eq!(
        store.get(&anonymous).unwrap_err().end_reason(),
        Some(EndReason::Rotated)
    );
    assert_eq!(store.sessions_of("alice").unwrap().len(), 1);
}

#[test]
fn login_as_another_user_clears_the_data() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::for_user("alice").insert("secret", 1));
    let session = store.login(&token, "bob").unwrap();
    assert_eq!(session.user(), Some("bob"));
    assert!(session.data().is_empty());
    assert!(store.sessions_of("alice").unwrap().is_empty());
}

#[test]
fn login_without_regeneration_keeps_the_token() {
    let (store, _) = memory_store(Config::default().regenerate_on_login(false));
    let token = new_token(&store, NewSession::default());
    let session = store.login(&token, "carol").unwrap();
    assert_eq!(session.token(), None);
    assert_eq!(store.get(&token).unwrap().user(), Some("carol"));
}

#[test]
fn flash_values_are_read_exactly_once() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    store.flash(&token, "notice", "saved").unwrap();
    store.flash(&token, "error", "none").unwrap();
    assert_eq!(store.peek(&token).unwrap().pending_flash(), 2);
    let first = store.take_flash(&token).unwrap();
    assert_eq!(first.get("notice"), Some(&Value::from("saved")));
    assert_eq!(first.len(), 2);
    assert!(store.take_flash(&token).unwrap().is_empty());
    // Flash is not data.
    assert!(store.peek(&token).unwrap().data().is_empty());
}

#[test]
fn meta_and_lifetime_are_updatable_without_moving_the_version() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default().user_agent("curl"));
    store
        .set_meta(
            &token,
            Meta {
                label: Some("work laptop".into()),
                ..Meta::default()
            },
        )
        .unwrap();
    store
        .set_lifetime(&token, Lifetime::new(minutes(5), minutes(60)))
        .unwrap();
    let s = store.peek(&token).unwrap();
    assert_eq!(s.meta().label.as_deref(), Some("work laptop"));
    assert_eq!(s.meta().user_agent, None);
    assert_eq!(s.lifetime(), Lifetime::new(minutes(5), minutes(60)));
    assert!(s.has_custom_lifetime());
    assert_eq!(s.version(), 0);
    let bad = store
        .set_lifetime(&token, Lifetime::new(minutes(0), minutes(60)))
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn destroy_when_empty_removes_emptied_anonymous_sessions() {
    let (store, _) = memory_store(Config::default().destroy_when_empty(true));
    let token = new_token(&store, NewSession::default().insert("cart", 1));
    store.remove(&token, "cart").unwrap();
    assert_eq!(store.get(&token).unwrap_err().kind(), ErrorKind::NotFound);
    let user = new_token(&store, NewSession::for_user("u").insert("k", 1));
    store.remove(&user, "k").unwrap();
    assert!(store.get(&user).is_ok(), "signed-in sessions stay");
}

#[test]
fn tokens_carry_the_prefix_and_a_foreign_prefix_is_refused() {
    let (store, _) = memory_store(Config::default().token_prefix("cc_"));
    let token = new_token(&store, NewSession::default());
    assert!(token.starts_with("cc_"));
    let other =
        Store::in_memory(Config::default().token_prefix("xx_").sweep_interval(None)).unwrap();
    assert_eq!(
        other.get(&token).unwrap_err().kind(),
        ErrorKind::InvalidToken
    );
}

#[test]
fn a_closed_store_refuses_calls_and_closing_twice_is_fine() {
    let (store, _) = store();
    let token = new_token(&store, NewSession::default());
    let clone = store.clone();
    store.close().unwrap();
    store.close().unwrap();
    let err = clone.get(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("closed"), "{err}");
}

#[test]
fn debug_output_never_shows_a_token() {
    let (store, _) = store();
    let session = store.create(NewSession::default()).unwrap();
    let token = session.token().unwrap();
    let pair = store.issue_pair(token).unwrap();
    for text in [
        format!("{session:?}"),
        format!("{store:?}"),
        format!("{pair:?}"),
        format!("{:?}", store.get("x").unwrap_err()),
    ] {
        assert!(!text.contains(token), "{text}");
        assert!(!text.contains(&pair.refresh), "{text}");
    }
}

#[test]
fn destroy_when_empty_still_creates_empty_sessions() {
    let (store, _) = memory_store(Config::default().destroy_when_empty(true));
    let token = new_token(&store, NewSession::default());
    store.set(&token, "cart", 1).unwrap();
    assert!(store.get(&token).is_ok());
}
