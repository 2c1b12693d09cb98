//! `Cookie` request headers: any text gives a well-formed token or nothing.
#![no_main]

use coatcheck::http::CookieConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    let config = CookieConfig::default();
    if let Some(token) = config.token_from_cookie_header(header) {
        assert!(!token.is_empty() && token.len() <= coatcheck::MAX_TOKEN_CHARS);
        assert!(token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
});
