//! Tokens (the secret a client holds) and session ids (their public hash).
//!
//! A token is 32 bytes (by default) from the operating system's CSPRNG,
//! written as base64url without padding, optionally behind a prefix such as
//! `cc_` so that secret scanners can spot a leaked one. 32 random bytes is
//! 256 bits: far beyond OWASP's 64-bit floor for session ids, so guessing a
//! live token is hopeless.
//!
//! The store never keeps a token. It keeps the [`SessionId`], the SHA-256 of
//! the token: a copy of the file (a backup, a stolen disk) lets nobody in,
//! and administrators can still name sessions by id.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::TryRng as _;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};

/// The shortest token body accepted: 16 random bytes, as base64url.
const MIN_BODY_CHARS: usize = 22;
/// The longest token accepted, prefix included. Longer input is refused
/// before it is hashed.
pub const MAX_TOKEN_CHARS: usize = 512;

/// A session token: the secret a client presents in a cookie or a
/// `Bearer` header.
///
/// It exists in plaintext only on the [`Session`](crate::Session) returned
/// by `create`, `regenerate` and `login`. `Debug` never shows it.
///
/// ```
/// # use coatcheck::{Config, NewSession, Store};
/// let store = Store::in_memory(Config::default())?;
/// let session = store.create(NewSession::default())?;
/// let token = session.token().unwrap();
/// assert!(!format!("{session:?}").contains(token));
/// # Ok::<(), coatcheck::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token made elsewhere in the crate (derived refresh tokens).
    pub(crate) fn from_secret(text: String) -> Token {
        Token(text)
    }

    /// The token text, to put in a cookie or hand to a client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the session this token opens.
    pub fn id(&self) -> SessionId {
        SessionId::of_token(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The public handle of a session: SHA-256 of its token, shown as lowercase hex.
///
/// Admin operations (`info`, `destroy_id`, `destroy_user_except`) take ids,
/// so that a token never has to leave the request that carried it.
///
/// ```
/// use coatcheck::SessionId;
/// let id = SessionId::of_token("cc_example");
/// let hex = id.to_string();
/// assert_eq!(hex.len(), 64);
/// assert_eq!(hex.parse::<SessionId>().unwrap(), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionId([u8; 32]);

/// Ids are SHA-256 output, uniformly random: eight of their bytes are as
/// good a hash as any, at no cost. (Bytes 8..16: the maps that shard by id
/// use the first bytes to pick a shard.)
impl std::hash::Hash for SessionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.0[8..16]);
        state.write_u64(u64::from_le_bytes(word));
    }
}

/// A hasher for maps keyed by [`SessionId`]: passes its word through.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }
}

/// A `HashMap` keyed by session id, hashed by [`IdHasher`].
pub(crate) type IdMap<V> =
    std::collections::HashMap<SessionId, V, std::hash::BuildHasherDefault<IdHasher>>;

impl SessionId {
    /// The id of the session that `token` opens.
    pub fn of_token(token: &str) -> SessionId {
        SessionId(Sha256::digest(token.as_bytes()).into())
    }

    /// An id from its 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> SessionId {
        SessionId(bytes)
    }

    /// The 32 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

impl FromStr for SessionId {
    type Err = Error;

    /// Parses 64 hex digits (either case).
    fn from_str(s: &str) -> Result<SessionId> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(Error::invalid_argument(format!(
                "a session id is 64 hex digits, got {} characters",
                s.chars().count()
            )));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]);
            let lo = hex_digit(pair[1]);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out[i] = hi << 4 | lo,
                _ => {
                    return Err(Error::invalid_argument(
                        "a session id is 64 hex digits; found a character that is not one",
                    ))
                }
            }
        }
        Ok(SessionId(out))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    rand::rngs::SysRng.try_fill_bytes(buf).map_err(|e| {
        Error::storage(format!(
            "the operating system's random generator failed: {e}"
        ))
    })
}

/// How this store writes and checks tokens (from [`Config`](crate::Config)).
#[derive(Debug, Clone)]
pub(crate) struct TokenFormat {
    pub(crate) random_bytes: usize,
    pub(crate) prefix: String,
    pub(crate) timestamp: bool,
}

impl TokenFormat {
    /// A fresh token: prefix, then base64url of (optional 6-byte creation
    /// time in milliseconds, big-endian) and the random bytes.
    pub(crate) fn generate(&self, now: Timestamp) -> Result<Token> {
        let mut raw = Vec::with_capacity(6 + self.random_bytes);
        if self.timestamp {
            let millis = now.as_millis().to_be_bytes();
            raw.extend_from_slice(&millis[2..]);
        }
        let start = raw.len();
        raw.resize(start + self.random_bytes, 0);
        fill_random(&mut raw[start..])?;
        let mut text = String::with_capacity(self.prefix.len() + raw.len() * 4 / 3 + 2);
        text.push_str(&self.prefix);
        URL_SAFE_NO_PAD.encode_string(&raw, &mut text);
        Ok(Token(text))
    }

    /// Checks the shape of a presented token and returns its session id.
    /// Malformed input is `InvalidToken`; nothing is looked up.
    pub(crate) fn parse(&self, token: &str) -> Result<SessionId> {
        if token.is_empty() {
            return Err(Error::invalid_token("the token is empty"));
        }
        if token.len() > MAX_TOKEN_CHARS {
            return Err(Error::invalid_token(
                "the token is longer than 512 characters",
            ));
        }
        let Some(body) = token.strip_prefix(self.prefix.as_str()) else {
            return Err(Error::invalid_token(
                "the token does not start with this store's token_prefix",
            ));
        };
        if body.len() < MIN_BODY_CHARS {
            return Err(Error::invalid_token("the token is too short"));
        }
        if !body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(Error::invalid_token(
                "the token has characters outside base64url",
            ));
        }
        Ok(SessionId::of_token(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(prefix: &str) -> TokenFormat {
        TokenFormat {
            random_bytes: 32,
            prefix: prefix.to_owned(),
            timestamp: false,
        }
    }

    #[test]
    fn tokens_are_43_base64url_chars_behind_the_prefix() {
        let token = format("cc_").generate(Timestamp::from_millis(0)).unwrap();
        let text = token.as_str();
        assert!(text.starts_with("cc_"));
        assert_eq!(text.len(), 3 + 43);
        assert_eq!(format("cc_").parse(text).unwrap(), token.id());
    }

    #[test]
    fn two_tokens_differ() {
        let f = format("");
        let a = f.generate(Timestamp::from_millis(0)).unwrap();
        let b = f.generate(Timestamp::from_millis(0)).unwrap();
        assert_ne!(a, b);
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn timestamp_part_leads_the_body() {
        let f = TokenFormat {
            random_bytes: 16,
            prefix: String::new(),
            timestamp: true,
        };
        let t = f
            .generate(Timestamp::from_millis(0x0102_0304_0506))
            .unwrap();
        let raw = URL_SAFE_NO_PAD.decode(t.as_str()).unwrap();
        assert_eq!(raw.len(), 22);
        assert_eq!(&raw[..6], &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn malformed_tokens_are_refused_with_a_reason() {
        let f = format("cc_");
        for bad in [
            "",
            "cc_short",
            "xx_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "cc_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+a",
            "cc_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé",
        ] {
            let err = f.parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidToken, "{bad:?}");
        }
        let long = format!("cc_{}", "a".repeat(600));
        assert_eq!(
            f.parse(&long).unwrap_err().kind(),
            crate::ErrorKind::InvalidToken
        );
    }

    #[test]
    fn session_ids_round_trip_through_hex() {
        let id = SessionId::of_token("abc");
        assert_eq!(
            id.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            id.to_string().to_uppercase().parse::<SessionId>().unwrap(),
            id
        );
        assert!("zz".parse::<SessionId>().is_err());
        assert!("g".repeat(64).parse::<SessionId>().is_err());
    }
}
