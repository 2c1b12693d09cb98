//! Signed cookies: only a value signed with one of the keys is accepted,
//! and what the verifier accepts is the token that was signed.
#![no_main]

use coatcheck::http::CookieConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    let config = CookieConfig {
        signed: true,
        // Keys of the length the verifier requires (32 bytes): a config it
        // refuses would reject every header and fuzz nothing.
        keys: vec![
            b"fuzz-key-one-0123456789abcdef-32".to_vec(),
            b"fuzz-key-two-0123456789abcdef-32".to_vec(),
        ],
        ..CookieConfig::default()
    };
    assert!(config.validate().is_ok());
    if let Some(token) = config.token_from_cookie_header(header) {
        // A forgery would be a signature found by the fuzzer: accepted
        // values must contain the token followed by its signature.
        assert!(header.contains(&format!("{token}.")));
    }
});
