//! Token pairs for clients that cannot rely on cookies (mobile apps, APIs):
//! a short-lived access token and a single-use refresh token.
//!
//! - The **access token** is a JWT (HS256) with the claims `sid` (the
//!   session id, hex), `iat`, `exp` (seconds since the epoch) and `gen` (the
//!   pair's generation). Clients may read `exp` to know when to refresh.
//!   [`Store::verify_access`] checks the signature (constant time), that the
//!   header names exactly the algorithm we issue (never `none`), the expiry,
//!   that the session still lives, and that `gen` is the session's current
//!   generation: revocation takes effect at once, not when the access token
//!   expires, and a pair replaced by a later `issue_pair` or `refresh`
//!   stops at once.
//! - The **refresh token** is an opaque random secret, stored only as its
//!   SHA-256, good for one use. [`Store::refresh`] spends it and returns a
//!   new pair. Presenting a spent refresh token again is theft (OAuth 2.0
//!   Security BCP, "refresh token rotation"): the session and every token of
//!   it are revoked and the call reports
//!   [`ErrorKind::TokenReuse`](crate::ErrorKind::TokenReuse) — also after
//!   the session was renewed by `login` or `regenerate`: the replay ends the
//!   session it now leads to. A repeat within `refresh_grace` of the first
//!   use (two tabs racing, a network retry), while the new pair is still the
//!   current one, returns the same new pair instead, in any process and
//!   after a restart. A grace of zero means none.
//! - **Renewal ends pairs.** `login` and `regenerate` end every credential
//!   of the old session: its access tokens and its refresh token report
//!   `Revoked` (`rotated`). The client calls `issue_pair` again with the
//!   new session token (session fixation must not survive through a pair
//!   minted before login).
//!
//! The signing key is [`Config::access_key`](crate::Config::access_key), or
//! a random key per process: it is never written to the store file, so a
//! stolen file cannot mint access tokens. With a per-process key, access
//! tokens die with the process and clients simply refresh.
//!
//! The refresh token that follows a spent one is derived from it with the
//! store's *successor secret* (32 random bytes kept in the file, never the
//! signing key), so that a retry is answered with the same pair without
//! the store keeping any token. The secret alone lets nobody in: it only
//! turns a refresh token one already holds into the next one.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::codec;
use crate::error::{EndReason, Error, Result};
use crate::record::LiveRecord;
use crate::session::Session;
use crate::storage::WriteView;
use crate::store::{Inner, Outcome, Store};
use crate::token::{fill_random, SessionId, Token};

/// The longest access token accepted.
const MAX_ACCESS_CHARS: usize = 4096;
/// A key that signs or verifies access tokens, with its id (the JWT
/// header's `kid`): base64url of 6 bytes of SHA-256 over a label and the
/// key, which names the key without revealing anything of it.
pub(crate) struct AccessKey {
    kid: String,
    mac: hmac::Hmac<Sha256>,
}

impl AccessKey {
    pub(crate) fn new(key: &[u8]) -> Result<AccessKey> {
        let mut hasher = Sha256::new();
        hasher.update(b"coatcheck access key id\0");
        hasher.update(key);
        let digest = hasher.finalize();
        Ok(AccessKey {
            kid: URL_SAFE_NO_PAD.encode(&digest[..6]),
            mac: <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
                .map_err(|_| Error::invalid_argument("access_key cannot be used as an HMAC key"))?,
        })
    }
}

/// The JWT header we issue: HS256, and the id of the signing key.
fn header_json(kid: &str) -> String {
    format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#)
}

/// An access token and a refresh token, from [`Store::issue_pair`] or
/// [`Store::refresh`]. `Debug` hides both tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The access token (a JWT): send it as `Authorization: Bearer …`.
    pub access: String,
    /// When the access token expires (its `exp` claim).
    pub access_expires_at: Timestamp,
    /// The refresh token: keep it secret, present it once to `refresh`.
    pub refresh: String,
    /// When the refresh token expires.
    pub refresh_expires_at: Timestamp,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh", &"<redacted>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    sid: String,
    iat: i64,
    exp: i64,
    gen: u64,
}

/// A refresh token as stored (under the SHA-256 of the token).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    sid: [u8; 32],
    gen: u64,
    expires_at: Timestamp,
    spent_at: Option<Timestamp>,
}

fn refresh_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Signs an access token for session `sid`, generation `gen`, issued at `at`.
fn sign_access(
    inner: &Inner,
    sid: &SessionId,
    gen: u64,
    at: Timestamp,
) -> Result<(String, Timestamp)> {
    let iat = at.as_millis().div_euclid(1000);
    let exp = at
        .saturating_add(inner.config.access_ttl)
        .as_millis()
        .div_euclid(1000);
    let claims = Claims {
        sid: sid.to_string(),
        iat,
        exp,
        gen,
    };
    let claims = serde_json::to_vec(&claims)
        .map_err(|e| Error::storage(format!("could not encode access token claims: {e}")))?;
    let mut token = String::with_capacity(256);
    let signing = inner
        .access_keys
        .first()
        .ok_or_else(|| Error::storage("internal error: no access signing key"))?;
    URL_SAFE_NO_PAD.encode_string(header_json(&signing.kid), &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let mut signer = signing.mac.clone();
    signer.update(token.as_bytes());
    let signature = signer.finalize().into_bytes();
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok((token, Timestamp::from_millis(exp.saturating_mul(1000))))
}

/// The key, in the refresh table, of the store's successor secret. It is
/// the SHA-256 of a text that is not a token (it holds a NUL byte), so no
/// refresh token can ever hash to it.
fn successor_secret_key() -> [u8; 32] {
    Sha256::digest(b"\0coatcheck refresh successor secret").into()
}

/// The key, in the refresh table, of the link from a rotated session id to
/// the id that replaced it.
fn rotation_link_key(old: &SessionId) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"\0coatcheck rotation link\0");
    hasher.update(old.as_bytes());
    hasher.finalize().into()
}

/// How many rotations a spent refresh token is followed through, at most.
const MAX_ROTATION_HOPS: usize = 256;

/// The store's successor secret: 32 random bytes made on the first refresh
/// and kept in the file, so that a retry within the grace window gets the
/// same answer in any process, after any restart. It is not the access
/// token's signing key, and alone it lets nobody in: it only turns a
/// refresh token one already holds into the next one.
fn successor_secret(view: &mut dyn WriteView) -> Result<[u8; 32]> {
    let key = successor_secret_key();
    if let Some((_, bytes)) = view.get_refresh(&key)? {
        if let Ok(secret) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(secret);
        }
    }
    let mut secret = [0u8; 32];
    fill_random(&mut secret)?;
    view.put_refresh(key, secret.to_vec(), Timestamp::from_millis(i64::MAX))?;
    Ok(secret)
}

/// The refresh token that follows `spent`: an HMAC of it under the store's
/// successor secret, so that a retry within the grace window can be
/// answered with the very same pair without the store keeping any token in
/// plaintext.
fn successor(inner: &Inner, secret: &[u8; 32], spent: &str) -> Result<Token> {
    let mut deriver = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret)
        .map_err(|_| Error::storage("the refresh successor secret is unusable"))?;
    deriver.update(b"coatcheck refresh successor\0");
    deriver.update(spent.as_bytes());
    let bytes = deriver.finalize().into_bytes();
    let mut text = inner.tokens.prefix.clone();
    URL_SAFE_NO_PAD.encode_string(bytes, &mut text);
    Ok(Token::from_secret(text))
}

/// The id a session now lives under: `sid`, followed through every
/// `regenerate`/`login` since.
fn current_id(view: &dyn WriteView, mut sid: SessionId) -> Result<SessionId> {
    for _ in 0..MAX_ROTATION_HOPS {
        match view.get_refresh(&rotation_link_key(&sid))? {
            Some((_, bytes)) => match <[u8; 32]>::try_from(bytes.as_slice()) {
                Ok(next) => sid = SessionId::from_bytes(next),
                Err(_) => return Err(Error::corrupt("a rotation link is not a session id")),
            },
            None => break,
        }
    }
    Ok(sid)
}

/// Checks an access token and returns the session id and the pair
/// generation it names.
fn check_access(inner: &Inner, access: &str, now: Timestamp) -> Result<(SessionId, u64)> {
    if access.is_empty() || access.len() > MAX_ACCESS_CHARS {
        return Err(Error::invalid_token(
            "an access token is a JWT of at most 4096 characters",
        ));
    }
    let mut parts = access.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::invalid_token(
            "an access token has three dot-separated parts",
        ));
    };
    let header_json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Error::invalid_token("the access token header is not base64url"))?;
    let header_value: serde_json::Value = serde_json::from_slice(&header_json)
        .map_err(|_| Error::invalid_token("the access token header is not JSON"))?;
    let header_ok = header_value.as_object().is_some_and(|h| {
        h.get("alg").and_then(|a| a.as_str()) == Some("HS256")
            && h.get("typ").is_none_or(|t| t.as_str() == Some("JWT"))
            && h.get("kid").is_none_or(|k| k.is_string())
            && h.keys().all(|k| k == "alg" || k == "typ" || k == "kid")
    });
    if !header_ok {
        return Err(Error::invalid_token(
            "the access token header must name the HS256 algorithm this store issues",
        ));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Error::invalid_token("the access token signature is not base64url"))?;
    let signed_len = header.len() + 1 + claims.len();
    // With a `kid`, the key it names; without (tokens from before key ids),
    // any key of the store.
    let kid = header_value.get("kid").and_then(|k| k.as_str());
    let verified = inner
        .access_keys
        .iter()
        .filter(|key| kid.is_none_or(|kid| kid == key.kid))
        .any(|key| {
            let mut verifier = key.mac.clone();
            verifier.update(&access.as_bytes()[..signed_len]);
            verifier.verify_slice(&signature).is_ok()
        });
    if !verified {
        return Err(Error::invalid_token(
            "the access token signature does not verify with any access key of this store",
        ));
    }
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(claims)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Error::invalid_token("the access token claims are malformed"))?;
    let expires_at = Timestamp::from_millis(claims.exp.saturating_mul(1000));
    if expires_at <= now {
        return Err(Error::access_expired(expires_at));
    }
    let sid = claims
        .sid
        .parse::<SessionId>()
        .map_err(|_| Error::invalid_token("the access token's sid is not a session id"))?;
    Ok((sid, claims.gen))
}

/// Inside a rotation (`regenerate`, `login`): every token pair of the
/// session ends (its access tokens and refresh token no longer verify; the
/// client calls `issue_pair` again), and when the session moves to a new id
/// a link records it, so that a spent refresh token replayed later is still
/// recognised as theft of the session it now leads to.
pub(crate) fn end_pairs_on_rotation(
    inner: &Inner,
    view: &mut dyn WriteView,
    old: &LiveRecord,
    next: &mut LiveRecord,
    old_id: SessionId,
    new_id: SessionId,
    now: Timestamp,
) -> Result<()> {
    if old.pair_gen == 0 {
        return Ok(());
    }
    revoke_in(next);
    if new_id != old_id {
        // As long as any refresh token of the session may be presented.
        let until = now.saturating_add(inner.config.refresh_ttl);
        view.put_refresh(
            rotation_link_key(&old_id),
            new_id.as_bytes().to_vec(),
            until,
        )?;
    }
    Ok(())
}

/// Ends the session's pair in `next`: the generation moves on (its access
/// tokens stop) and no refresh token is current.
fn revoke_in(next: &mut LiveRecord) {
    next.pair_gen += 1;
    next.refresh_key = None;
}

impl Store {
    /// Issues an access/refresh token pair for the session of `token`.
    /// A pair issued before for this session stops refreshing.
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// let token = store.create(NewSession::for_user("42"))?.token().unwrap().to_owned();
    /// let pair = store.issue_pair(&token)?;
    /// assert_eq!(store.verify_access(&pair.access)?.user(), Some("42"));
    /// let next = store.refresh(&pair.refresh)?;       // the old refresh token is spent
    /// assert_ne!(next.refresh, pair.refresh);
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn issue_pair(&self, token: &str) -> Result<TokenPair> {
        (|| {
            let inner = &self.inner;
            let id = inner.parse(token)?;
            let refresh = inner.tokens.generate(inner.now())?;
            inner.write(inner.durable(), move |inner, view| {
                let now = inner.now();
                let record = view.get(&id)?;
                let (live, last_access, _) = inner.live(&id, record.as_ref(), now)?;
                if let Some(old) = live.refresh_key {
                    view.delete_refresh(&old)?;
                }
                grant(inner, view, id, live, last_access, &refresh, now)
            })
        })()
        .map_err(|e| e.during("issue_pair"))
    }

    /// Ends every token pair of the session of `token` at once: its access
    /// tokens stop verifying and its refresh token stops refreshing
    /// (`Revoked`, `rotated`); the session itself lives on. Returns whether
    /// a pair was live. For "sign out the app on my phone" without ending
    /// the browser session.
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// let token = store.create(NewSession::for_user("42"))?.token().unwrap().to_owned();
    /// let pair = store.issue_pair(&token)?;
    /// assert!(store.revoke_pairs(&token)?);
    /// assert!(store.refresh(&pair.refresh).is_err());
    /// assert!(store.verify_access(&pair.access).is_err());
    /// assert!(store.get(&token).is_ok());
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn revoke_pairs(&self, token: &str) -> Result<bool> {
        (|| {
            let id = self.inner.parse(token)?;
            self.inner.mutate(id, |live, _| {
                // Every live pair has a current refresh token.
                if live.refresh_key.is_none() {
                    return Ok(Outcome::Unchanged(false));
                }
                revoke_in(live);
                Ok(Outcome::Unversioned(true))
            })
        })()
        .map_err(|e| e.during("revoke_pairs"))
    }

    /// Checks an access token and returns its session (marked used).
    ///
    /// | error | meaning | the client should |
    /// |---|---|---|
    /// | `AccessExpired` | the access token's `exp` passed | call `refresh` |
    /// | `InvalidToken` | malformed, wrong algorithm, bad signature (also: signed by a key no longer configured) | refresh, or sign in |
    /// | `NotFound` | a later `issue_pair`/`refresh` replaced this pair | use the newer pair |
    /// | `Expired` | the session expired | sign in again |
    /// | `Revoked` | the session ended (the reason says why; `rotated` after `login`/`regenerate`) | sign in again |
    pub fn verify_access(&self, access: &str) -> Result<Session> {
        (|| {
            self.inner.check()?;
            let (id, gen) = check_access(&self.inner, access, self.inner.now())?;
            // The generation first, without touching: a superseded access
            // token must not keep its session alive.
            let session = self.inner.read_id(&id, false, None)?;
            if session.record.pair_gen != gen {
                return Err(Error::not_found(
                    "current token pair for this access token (a later issue_pair, refresh, \
                     login or revoke_pairs replaced it)",
                ));
            }
            self.inner.read_id(&id, true, None)
        })()
        .map_err(|e| e.during("verify_access"))
    }

    /// Spends `refresh_token` and returns a new pair.
    ///
    /// A refresh token presented again after it was spent revokes the whole
    /// session (`TokenReuse`), unless the repeat comes within
    /// `refresh_grace` of the first use: then it returns the same new pair.
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        (|| {
            let inner = &self.inner;
            inner.check()?;
            inner.tokens.parse(refresh_token)?;
            let presented = refresh_token.to_owned();
            inner.write(inner.durable(), move |inner, view| {
                spend(inner, view, &presented)
            })
        })()
        .map_err(|e| e.during("refresh"))
    }
}

/// Inside a write: makes `refresh` the session's one live refresh token,
/// of the next generation, and signs the access token that goes with it.
fn grant(
    inner: &Inner,
    view: &mut dyn WriteView,
    sid: SessionId,
    live: &LiveRecord,
    last_access: Timestamp,
    refresh: &Token,
    now: Timestamp,
) -> Result<TokenPair> {
    let gen = live.pair_gen + 1;
    let key = refresh_key(refresh.as_str());
    let refresh_expires_at = now.saturating_add(inner.config.refresh_ttl);
    let (access, access_expires_at) = sign_access(inner, &sid, gen, now)?;
    let stored = RefreshRecord {
        sid: *sid.as_bytes(),
        gen,
        expires_at: refresh_expires_at,
        spent_at: None,
    };
    view.put_refresh(key, codec::encode(&stored)?, refresh_expires_at)?;
    let mut next = LiveRecord::clone(live);
    next.pair_gen = gen;
    next.refresh_key = Some(key);
    inner.commit_live(view, sid, next, last_access.max(now))?;
    Ok(TokenPair {
        access,
        access_expires_at,
        refresh: refresh.as_str().to_owned(),
        refresh_expires_at,
    })
}

/// Inside a write: spends a refresh token (or detects its reuse).
fn spend(inner: &Arc<Inner>, view: &mut dyn WriteView, presented: &str) -> Result<TokenPair> {
    let now = inner.now();
    let key = refresh_key(presented);
    let Some((_, bytes)) = view.get_refresh(&key)? else {
        return Err(Error::not_found("refresh token"));
    };
    let record: RefreshRecord = codec::decode(&bytes, "refresh token record")?;
    if record.expires_at <= now {
        return Err(Error::token_expired("refresh token", record.expires_at));
    }
    let issued_to = SessionId::from_bytes(record.sid);
    let sid = current_id(view, issued_to)?;
    let rotated = sid != issued_to;
    let session = view.get(&sid)?;
    let (live, last_access, _) = inner.live(&sid, session.as_ref(), now)?;
    let secret = successor_secret(view)?;
    let next_token = successor(inner, &secret, presented)?;
    let next_key = refresh_key(next_token.as_str());
    match record.spent_at {
        None => {
            if rotated || live.pair_gen != record.gen || live.refresh_key != Some(key) {
                // The pair ended when the session was renewed (`login`,
                // `regenerate`) or its pairs were revoked.
                return Err(Error::revoked(EndReason::Rotated));
            }
            let spent = RefreshRecord {
                spent_at: Some(now),
                ..record.clone()
            };
            view.put_refresh(key, codec::encode(&spent)?, record.expires_at)?;
            grant(inner, view, sid, live, last_access, &next_token, now)
        }
        Some(spent_at) => {
            // Zero grace means none: a replay in the same millisecond is reuse.
            let within_grace = now.saturating_since(spent_at) < inner.config.refresh_grace;
            let still_current =
                !rotated && live.refresh_key == Some(next_key) && live.pair_gen == record.gen + 1;
            if within_grace && still_current {
                let next_expiry = match view.get_refresh(&next_key)? {
                    Some((_, bytes)) => {
                        codec::decode::<RefreshRecord>(&bytes, "refresh token record")?.expires_at
                    }
                    None => return Err(Error::not_found("refresh token")),
                };
                let (access, access_expires_at) =
                    sign_access(inner, &sid, live.pair_gen, spent_at)?;
                return Ok(TokenPair {
                    access,
                    access_expires_at,
                    refresh: next_token.as_str().to_owned(),
                    refresh_expires_at: next_expiry,
                });
            }
            // Theft: whoever holds the newer tokens is cut off with the thief.
            // The refresh records stay until they expire, so that every
            // later use of them reports `Revoked` (theft), not a bare NotFound.
            inner.end_in(view, sid, EndReason::Theft, now)?;
            Err(Error::token_reuse())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_the_standard_hs256_header_with_a_key_id() {
        let key = AccessKey::new(&[7u8; 32]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&header_json(&key.kid)).unwrap();
        assert_eq!(v["alg"], "HS256");
        assert_eq!(v["typ"], "JWT");
        assert_eq!(v["kid"].as_str().unwrap().len(), 8);
        assert_ne!(key.kid, AccessKey::new(&[8u8; 32]).unwrap().kid);
    }

    #[test]
    fn record_with_no_session_reads_back() {
        let r = RefreshRecord {
            sid: [3; 32],
            gen: 2,
            expires_at: Timestamp::from_millis(10),
            spent_at: Some(Timestamp::from_millis(5)),
        };
        let back: RefreshRecord = codec::decode(&codec::encode(&r).unwrap(), "x").unwrap();
        assert_eq!(back.gen, 2);
        assert_eq!(back.spent_at, Some(Timestamp::from_millis(5)));
    }
}
