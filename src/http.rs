//! HTTP helpers: the session cookie, the CSRF cookie, and reading tokens
//! from `Cookie` and `Authorization` headers.
//!
//! Everything here is a pure function of its input: parsers never panic,
//! and absent, malformed, oversized or wrongly signed input gives `None`.
//!
//! # Signed cookies
//!
//! With `signed = true` the cookie value is `TOKEN.SIGNATURE`, where
//! `SIGNATURE` is base64url(HMAC-SHA256(key, "NAME=TOKEN")) — the cookie
//! name is signed too, so a signature cannot be moved to another cookie.
//! New cookies are signed with the first key of [`CookieConfig::keys`];
//! any key of the list is accepted, so a key can be rotated in (put the new
//! one first) and out (remove it once the longest cookie has expired)
//! without logging anyone out. Tokens are already unguessable, so signing is
//! defence in depth: a forged cookie is refused without a store lookup.
//!
//! # Cookie tossing and the `__Host-` prefix
//!
//! A sibling subdomain (`evil.example.com`) can set a cookie with
//! `Domain=example.com` and the session cookie's name: the browser then
//! sends two cookies of that name, and no server can delete the planted one
//! (`clear_cookie` only reaches cookies of its own domain). coatcheck's
//! policy:
//!
//! - Every cookie of the session's name is a *candidate*, in the order the
//!   browser sent them (longer paths first, then older ones).
//!   [`CookieConfig::token_candidates_from_cookie_header`] returns them all;
//!   [`CookieConfig::token_from_cookie_header`] returns the first.
//! - With `signed = true`, only candidates whose signature verifies count:
//!   a sibling domain cannot sign, so its planted cookie is ignored.
//! - Unsigned, the app cannot tell a planted token from its own; the
//!   framework adapters try the candidates in order and take the first
//!   whose session lives, so a stale planted cookie cannot lock a user out.
//! - The best defence is a name with the `__Host-` prefix (for example
//!   `__Host-session`): browsers accept such a cookie only from the host
//!   itself, with `Secure`, `Path=/` and no `Domain`, so a sibling cannot
//!   set one at all. [`CookieConfig::validate`] refuses a `__Host-` or
//!   `__Secure-` name whose attributes browsers would reject.
//!
//! # The request cycle
//!
//! ```
//! use coatcheck::http::{token_from_authorization, CookieConfig};
//! use coatcheck::{Config, NewSession, Store};
//!
//! let store = Store::in_memory(Config::default())?;
//! let cookies = CookieConfig::default();
//!
//! // Login response: Set-Cookie with the new token.
//! let session = store.login(&store.create(NewSession::default())?.token().unwrap(), "ada")?;
//! let header = cookies.set_cookie(&session)?;
//! assert!(header.starts_with("session=") && header.contains("HttpOnly") && header.contains("Secure"));
//!
//! // Next request: the browser sends the cookie back.
//! let cookie_header = header.split(';').next().unwrap();
//! let token = cookies.token_from_cookie_header(cookie_header).unwrap();
//! assert_eq!(store.get(&token)?.user(), Some("ada"));
//!
//! // API clients use a bearer token instead.
//! assert_eq!(token_from_authorization("Bearer abc"), Some("abc"));
//! # Ok::<(), coatcheck::Error>(())
//! ```

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cookie::time::{Duration as CookieDuration, OffsetDateTime};
use cookie::Cookie;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::session::Session;
use crate::token::MAX_TOKEN_CHARS;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The longest `Cookie` header read; longer ones are ignored.
pub const MAX_COOKIE_HEADER_BYTES: usize = 16 * 1024;

/// The most cookies of the session's name considered in one header.
pub const MAX_COOKIE_CANDIDATES: usize = 8;

/// The shortest cookie signing key accepted (HMAC-SHA256's block is 64
/// bytes; 32 random bytes are as strong as the hash).
pub const MIN_COOKIE_KEY_BYTES: usize = 32;

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent on every request; browsers require `Secure` with it, so
    /// `Secure` is always set.
    None,
}

impl SameSite {
    fn to_cookie(self) -> cookie::SameSite {
        match self {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        }
    }
}

/// How the session cookie is written and read.
///
/// The defaults are the secure ones: `Secure`, `HttpOnly`, `SameSite=Lax`,
/// `Path=/`, named `session`.
#[derive(Clone)]
pub struct CookieConfig {
    /// The cookie name (default `session`).
    pub name: String,
    /// The `Path` attribute (default `/`).
    pub path: String,
    /// The `Domain` attribute (default none: this host only).
    pub domain: Option<String>,
    /// The `Secure` attribute (default true; forced on with `SameSite=None`).
    pub secure: bool,
    /// The `HttpOnly` attribute (default true: scripts cannot read the token).
    pub http_only: bool,
    /// The `SameSite` attribute (default `Lax`).
    pub same_site: SameSite,
    /// Sign the cookie value with HMAC-SHA256 (default false).
    pub signed: bool,
    /// Signing keys: sign with the first, accept any (key rotation). Each at
    /// least 32 bytes.
    pub keys: Vec<Vec<u8>>,
    /// The name of the JavaScript-readable CSRF cookie (default `XSRF-TOKEN`).
    pub csrf_cookie_name: String,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            name: "session".to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            signed: false,
            keys: Vec::new(),
            csrf_cookie_name: "XSRF-TOKEN".to_owned(),
        }
    }
}

impl fmt::Debug for CookieConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieConfig")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("signed", &self.signed)
            .field("keys", &format_args!("<{} redacted>", self.keys.len()))
            .field("csrf_cookie_name", &self.csrf_cookie_name)
            .finish()
    }
}

/// Whether `s` is a cookie name (an RFC 6265 token).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

/// Whether `s` may stand in an attribute value (`Path`, `Domain`).
fn is_attribute_value(s: &str) -> bool {
    s.bytes().all(|c| (0x20..0x7f).contains(&c) && c != b';')
}

impl CookieConfig {
    /// Checks the configuration: names, attribute values, keys.
    pub fn validate(&self) -> Result<()> {
        if !is_token(&self.name) {
            return Err(Error::invalid_argument(format!(
                "cookie name {:?} is not a valid cookie name",
                self.name
            )));
        }
        if !is_token(&self.csrf_cookie_name) {
            return Err(Error::invalid_argument(format!(
                "csrf_cookie_name {:?} is not a valid cookie name",
                self.csrf_cookie_name
            )));
        }
        if !is_attribute_value(&self.path) || !self.path.starts_with('/') {
            return Err(Error::invalid_argument(
                "cookie path must start with '/' and hold no ';' or control characters",
            ));
        }
        if let Some(domain) = &self.domain {
            if domain.is_empty() || !is_attribute_value(domain) || domain.contains(' ') {
                return Err(Error::invalid_argument(
                    "cookie domain must be a host name without ';', spaces or control characters",
                ));
            }
        }
        if self.signed && self.keys.is_empty() {
            return Err(Error::invalid_argument(
                "signed cookies need at least one key in CookieConfig::keys",
            ));
        }
        if self.keys.iter().any(|k| k.len() < MIN_COOKIE_KEY_BYTES) {
            return Err(Error::invalid_argument(
                "cookie signing keys must be at least 32 bytes",
            ));
        }
        let lower = self.name.to_ascii_lowercase();
        let secure = self.secure || self.same_site == SameSite::None;
        if lower.starts_with("__host-") && (!secure || self.domain.is_some() || self.path != "/") {
            return Err(Error::invalid_argument(format!(
                "cookie name {:?} has the __Host- prefix: browsers accept it only with Secure, \
                 Path=/ and no Domain, and would silently drop this cookie",
                self.name
            )));
        }
        if lower.starts_with("__secure-") && !secure {
            return Err(Error::invalid_argument(format!(
                "cookie name {:?} has the __Secure- prefix: browsers accept it only with \
                 Secure, and would silently drop this cookie",
                self.name
            )));
        }
        Ok(())
    }

    fn signature(&self, key: &[u8], token: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(key).ok()?;
        mac.update(self.name.as_bytes());
        mac.update(b"=");
        mac.update(token.as_bytes());
        Some(mac)
    }

    fn base(&self, value: String) -> cookie::CookieBuilder<'static> {
        let mut builder = Cookie::build((self.name.clone(), value))
            .path(self.path.clone())
            .secure(self.secure || self.same_site == SameSite::None)
            .http_only(self.http_only)
            .same_site(self.same_site.to_cookie());
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.clone());
        }
        builder
    }

    /// The `Set-Cookie` value that hands `session`'s token to the browser.
    /// The session must carry its token (it does when it comes from
    /// `create`, `regenerate` or `login`); otherwise use
    /// [`CookieConfig::set_cookie_for`].
    ///
    /// A "remember me" session gets `Max-Age` and `Expires` matching its
    /// expiry; any other session gets a browser-session cookie, which the
    /// browser drops when it closes.
    pub fn set_cookie(&self, session: &Session) -> Result<String> {
        let token = session.token().ok_or_else(|| {
            Error::invalid_argument(
                "this session carries no token (only create, regenerate and login return it); \
                 use set_cookie_for with the request's token",
            )
            .during("set_cookie")
        })?;
        self.set_cookie_for(token, session)
    }

    /// The `Set-Cookie` value for `token`, with the lifetime of `session`.
    pub fn set_cookie_for(&self, token: &str, session: &Session) -> Result<String> {
        (|| {
            self.validate()?;
            if token.is_empty()
                || token.len() > MAX_TOKEN_CHARS
                || !token
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            {
                return Err(Error::invalid_token(
                    "a session token is 1 to 512 base64url characters",
                ));
            }
            let mut value = token.to_owned();
            if self.signed {
                let key = self.keys.first().map(Vec::as_slice).unwrap_or_default();
                let mac = self.signature(key, token).ok_or_else(|| {
                    Error::invalid_argument("the cookie signing key cannot be used")
                })?;
                value.push('.');
                URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut value);
            }
            let mut builder = self.base(value);
            if session.remember() {
                let seconds = session
                    .expires_at()
                    .as_millis()
                    .saturating_sub(session.last_access().as_millis())
                    .max(0)
                    / 1000;
                builder = builder.max_age(CookieDuration::seconds(seconds));
                if let Ok(at) =
                    OffsetDateTime::from_unix_timestamp(session.expires_at().as_millis() / 1000)
                {
                    builder = builder.expires(at);
                }
            }
            Ok(builder.to_string())
        })()
        .map_err(|e| e.during("set_cookie"))
    }

    /// The `Set-Cookie` value that deletes the session cookie (same name,
    /// path and domain; `Max-Age=0` and an `Expires` in the past).
    pub fn clear_cookie(&self) -> String {
        self.base(String::new())
            .max_age(CookieDuration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH)
            .to_string()
    }

    /// A `Set-Cookie` value for the JavaScript-readable CSRF cookie
    /// (`XSRF-TOKEN` by default, not `HttpOnly`) holding `csrf_token` from
    /// [`Store::csrf_token`](crate::Store::csrf_token). The app echoes it in
    /// an `X-XSRF-TOKEN` header, which `verify_csrf` checks.
    pub fn csrf_cookie(&self, csrf_token: &str) -> String {
        let value: String = csrf_token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let mut builder = Cookie::build((self.csrf_cookie_name.clone(), value))
            .path(self.path.clone())
            .secure(self.secure || self.same_site == SameSite::None)
            .http_only(false)
            .same_site(self.same_site.to_cookie());
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.clone());
        }
        builder.to_string()
    }

    /// The session token in a `Cookie` request header: the first of
    /// [`CookieConfig::token_candidates_from_cookie_header`], or `None` when
    /// there is none (absent, malformed, oversized, or, for signed cookies,
    /// not signed by any of [`CookieConfig::keys`]). A configuration that
    /// does not [validate](CookieConfig::validate) (a key shorter than 32
    /// bytes, for example) reads no token at all.
    pub fn token_from_cookie_header(&self, header: &str) -> Option<String> {
        self.token_candidates_from_cookie_header(header)
            .into_iter()
            .next()
    }

    /// Every session token in a `Cookie` request header, in the order the
    /// browser sent them, without repeats, at most
    /// [`MAX_COOKIE_CANDIDATES`]: each cookie of the session's name whose
    /// value is well formed and, for signed cookies, verifies. More than one
    /// means a cookie was planted (cookie tossing from a sibling subdomain)
    /// or a stale one lingers under another path: use the first whose
    /// session lives (see the module doc).
    pub fn token_candidates_from_cookie_header(&self, header: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        if header.len() > MAX_COOKIE_HEADER_BYTES || self.validate().is_err() {
            return found;
        }
        for cookie in Cookie::split_parse(header) {
            let Ok(cookie) = cookie else {
                continue;
            };
            if cookie.name() != self.name {
                continue;
            }
            if let Some(token) = self.read_value(cookie.value()) {
                if !found.contains(&token) {
                    found.push(token);
                }
            }
            if found.len() >= MAX_COOKIE_CANDIDATES {
                break;
            }
        }
        found
    }

    /// The token in one cookie value, if it is well formed and verifies.
    fn read_value(&self, value: &str) -> Option<String> {
        let token = if self.signed {
            let (token, signature) = value.rsplit_once('.')?;
            let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
            let verified = self.keys.iter().any(|key| {
                self.signature(key, token)
                    .is_some_and(|mac| mac.verify_slice(&signature).is_ok())
            });
            if !verified {
                return None;
            }
            token
        } else {
            value
        };
        let well_formed = !token.is_empty()
            && token.len() <= MAX_TOKEN_CHARS
            && token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        well_formed.then(|| token.to_owned())
    }
}

/// The token of an `Authorization: Bearer TOKEN` header: the scheme is
/// case-insensitive and surrounding whitespace is tolerated; anything else
/// (another scheme, no token, spaces inside, over 4096 characters) is `None`.
pub fn token_from_authorization(header: &str) -> Option<&str> {
    let header = header.trim_matches(|c: char| c == ' ' || c == '\t');
    if header.len() > 4096 + 7 {
        return None;
    }
    let (scheme, rest) = header.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches([' ', '\t']);
    let token68 = !token.is_empty()
        && token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~+/=".contains(&c));
    token68.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_leniently_but_nothing_else() {
        assert_eq!(token_from_authorization("Bearer abc.def"), Some("abc.def"));
        assert_eq!(token_from_authorization("  bearer   abc  "), Some("abc"));
        assert_eq!(token_from_authorization("BEARER\tabc"), Some("abc"));
        assert_eq!(token_from_authorization("Basic abc"), None);
        assert_eq!(token_from_authorization("Bearer"), None);
        assert_eq!(token_from_authorization("Bearer "), None);
        assert_eq!(token_from_authorization("Bearer a b"), None);
        assert_eq!(token_from_authorization("Bearer é"), None);
        assert_eq!(token_from_authorization(""), None);
    }

    #[test]
    fn invalid_configurations_are_refused() {
        let bad_name = CookieConfig {
            name: "se;ssion".into(),
            ..CookieConfig::default()
        };
        assert!(bad_name.validate().is_err());
        let unsigned_keys = CookieConfig {
            signed: true,
            ..CookieConfig::default()
        };
        assert!(unsigned_keys.validate().is_err());
        assert!(CookieConfig::default().validate().is_ok());
    }
}
