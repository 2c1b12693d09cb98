//! CSRF protection with synchronizer tokens.
//!
//! Each session has a 32-byte secret derived from its token,
//! HMAC-SHA256(token, "coatcheck csrf secret"): it changes with the token
//! (`regenerate`, `login`), and nothing in the store file lets anyone
//! rebuild it, since the file keeps only the SHA-256 of tokens. [`Store::csrf_token`] returns it masked with a
//! fresh random pad: `base64url(pad ‖ (secret XOR pad))`, so two calls give
//! different strings and the page never carries a constant secret that a
//! compression side channel (BREACH) could recover. [`Store::verify_csrf`]
//! unmasks a candidate and compares it with the secret in constant time.
//!
//! Two ways to use it:
//!
//! - **Forms**: render `csrf_token(token)` into a hidden field
//!   (`<input type="hidden" name="csrf" value="…">`) and check the posted
//!   field with `verify_csrf` on every unsafe method (POST, PUT, DELETE…).
//! - **Single-page apps** (Angular's and FoalTS's convention): send
//!   `CookieConfig::csrf_cookie(&csrf_token)`, a JavaScript-readable
//!   `XSRF-TOKEN` cookie; the app echoes it in an `X-XSRF-TOKEN` header,
//!   which the server checks with `verify_csrf`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::token::fill_random;

/// The length of a CSRF token: 64 bytes as base64url.
const CSRF_CHARS: usize = 86;

impl Store {
    /// A CSRF token for the session of `token`: different on every call,
    /// every one accepted by [`Store::verify_csrf`] until the session's
    /// token changes (`regenerate`, `login`).
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// let token = store.create(NewSession::default())?.token().unwrap().to_owned();
    /// let a = store.csrf_token(&token)?;
    /// let b = store.csrf_token(&token)?;
    /// assert_ne!(a, b);
    /// assert!(store.verify_csrf(&token, &a)? && store.verify_csrf(&token, &b)?);
    /// assert!(!store.verify_csrf(&token, "forged")?);
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn csrf_token(&self, token: &str) -> Result<String> {
        (|| {
            let secret = self.csrf_secret(token)?;
            let mut pad = [0u8; 32];
            fill_random(&mut pad)?;
            let mut masked = [0u8; 64];
            masked[..32].copy_from_slice(&pad);
            for i in 0..32 {
                masked[32 + i] = secret[i] ^ pad[i];
            }
            Ok(URL_SAFE_NO_PAD.encode(masked))
        })()
        .map_err(|e: Error| e.during("csrf_token"))
    }

    /// Whether `candidate` is a CSRF token of the session of `token`.
    /// A malformed candidate is simply `false`; a missing session is an error.
    pub fn verify_csrf(&self, token: &str, candidate: &str) -> Result<bool> {
        (|| {
            let secret = self.csrf_secret(token)?;
            if candidate.len() != CSRF_CHARS {
                return Ok(false);
            }
            let Ok(masked) = URL_SAFE_NO_PAD.decode(candidate) else {
                return Ok(false);
            };
            if masked.len() != 64 {
                return Ok(false);
            }
            let mut unmasked = [0u8; 32];
            for i in 0..32 {
                unmasked[i] = masked[i] ^ masked[32 + i];
            }
            Ok(bool::from(unmasked.ct_eq(&secret)))
        })()
        .map_err(|e: Error| e.during("verify_csrf"))
    }

    /// The session's CSRF secret, once the session is known to live.
    fn csrf_secret(&self, token: &str) -> Result<[u8; 32]> {
        let inner = &self.inner;
        let id = inner.parse(token)?;
        let record = inner.storage.load(&id)?;
        inner.live(&id, record.as_ref(), inner.now())?;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(token.as_bytes())
            .map_err(|_| Error::invalid_token("the token cannot key an HMAC"))?;
        hmac::Mac::update(&mut mac, b"coatcheck csrf secret");
        Ok(hmac::Mac::finalize(mac).into_bytes().into())
    }
}
