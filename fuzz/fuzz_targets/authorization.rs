//! `Authorization` headers: any text gives a bearer token taken from it, or nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    if let Some(token) = coatcheck::http::token_from_authorization(header) {
        assert!(!token.is_empty());
        assert!(header.contains(token));
        assert!(!token.contains([' ', '\t']));
    }
});
