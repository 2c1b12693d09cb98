//! The JWT access-token verifier: any text is an error, never a panic, and
//! only a token this store issued is accepted.
#![no_main]

use std::sync::OnceLock;

use coatcheck::{Config, NewSession, Store};
use libfuzzer_sys::fuzz_target;

fn store() -> &'static (Store, String) {
    static STORE: OnceLock<(Store, String)> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Store::in_memory(
            Config::default()
                .sweep_interval(None)
                .access_key(Some(b"fuzz-access-key-0123456789abcdef".to_vec())),
        )
        .expect("a store in memory opens");
        let token = store
            .create(NewSession::for_user("fuzz"))
            .expect("create")
            .token()
            .expect("a token")
            .to_owned();
        let access = store.issue_pair(&token).expect("a pair").access;
        (store, access)
    })
}

fuzz_target!(|access: &str| {
    let (store, issued) = store();
    if let Ok(session) = store.verify_access(access) {
        // Accepted: it must carry the issued token's signature.
        assert_eq!(session.user(), Some("fuzz"));
        let signature = issued.rsplit('.').next().unwrap_or_default();
        assert!(access.ends_with(signature), "accepted a token that was not issued");
    }
});
