//! The web layer: CSRF tokens, access/refresh token pairs, and the HTTP
//! helpers of `coatcheck::http` (cookies and `Authorization` headers).

use std::ffi::c_char;

use engine::http::{token_from_authorization, CookieConfig, SameSite};
use engine::{Store, TokenPair};

use crate::error::Failure;
use crate::ffi::{
    c_string, free_handle, handle, handle_mut, header_arg, into_handle, opt_c_string, opt_out_ptr,
    opt_str_arg, out_ptr, run_quietly, str_arg,
};
use crate::session::coatcheck_session;
use crate::status::coatcheck_status;
use crate::store::coatcheck_store;

/// An access token and a refresh token (an opaque handle), from
/// `coatcheck_store_issue_pair` or `coatcheck_store_refresh`; read with the
/// `coatcheck_token_pair_*` accessors, freed with `coatcheck_token_pair_free`.
pub struct coatcheck_token_pair {
    pair: TokenPair,
}

/// How the session cookie is written and read (an opaque handle): made by
/// `coatcheck_cookie_config_new` with the secure defaults (`session`,
/// `Path=/`, `Secure`, `HttpOnly`, `SameSite=Lax`, unsigned), changed with
/// the `coatcheck_cookie_config_*` setters, freed with
/// `coatcheck_cookie_config_free`.
pub struct coatcheck_cookie_config {
    config: CookieConfig,
}

/// The `SameSite` attribute of a cookie (`coatcheck_cookie_config_set_same_site`).
pub type coatcheck_same_site = i32;
/// Sent only on same-site requests.
pub const COATCHECK_SAME_SITE_STRICT: coatcheck_same_site = 0;
/// Sent on same-site requests and top-level navigations (the default).
pub const COATCHECK_SAME_SITE_LAX: coatcheck_same_site = 1;
/// Sent on every request (`Secure` is then always set).
pub const COATCHECK_SAME_SITE_NONE: coatcheck_same_site = 2;

/// Writes a CSRF token for the session of `token` to `*out` (free it with
/// `coatcheck_string_free`): a synchronizer token masked with a fresh random
/// pad on each call (BREACH-safe). Put it in forms or in the cookie of
/// `coatcheck_http_csrf_cookie`.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_csrf_token(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `token` is NULL or NUL-terminated (this function's contract).
        let token = unsafe { str_arg(token, "token") }?;
        *out = c_string(&store.store.csrf_token(token)?, "csrf_token")?;
        Ok(())
    })
}

/// Checks, in constant time, that `candidate` (from a form field or an
/// `X-XSRF-TOKEN` header) is a CSRF token of the session of `token`, and
/// writes the answer to `*out`. A wrong candidate is `COATCHECK_OK` with
/// `*out == false`; a missing session is an error status.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` and `candidate` are each
/// NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_verify_csrf(
    store: *const coatcheck_store,
    token: *const c_char,
    candidate: *const c_char,
    out: *mut bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", false) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `token` and `candidate` are NULL or NUL-terminated (this function's contract).
        let (token, candidate) =
            unsafe { (str_arg(token, "token")?, str_arg(candidate, "candidate")?) };
        *out = store.store.verify_csrf(token, candidate)?;
        Ok(())
    })
}

/// Runs a store operation that returns a token pair.
///
/// # Safety
/// `store` is NULL or live; `text` is NULL or NUL-terminated; `out` is NULL
/// or writable.
unsafe fn pair_call(
    store: *const coatcheck_store,
    text: *const c_char,
    name: &str,
    out: *mut *mut coatcheck_token_pair,
    call: impl FnOnce(&Store, &str) -> engine::Result<TokenPair>,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (the caller's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `text` is NULL or NUL-terminated (the caller's contract).
        let text = unsafe { str_arg(text, name) }?;
        *out = into_handle(coatcheck_token_pair {
            pair: call(&store.store, text)?,
        });
        Ok(())
    })
}

/// Issues an access token (a JWT, HS256, with `sid` and `exp` claims) and a
/// single-use refresh token for the session of `token`, for clients that
/// cannot rely on cookies; writes them to `*out`.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out` is NULL or writable. On success `*out` is a
/// new handle, to be freed with `coatcheck_token_pair_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_issue_pair(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_token_pair,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { pair_call(store, token, "token", out, Store::issue_pair) }
}

/// Trades a refresh token for a new pair; the used refresh token dies.
/// Presenting a spent refresh token again is theft: the session and all its
/// tokens are revoked and the call fails with `COATCHECK_TOKEN_REUSE`. A
/// retry within the refresh grace (default 10 s) of the first use returns
/// the same new pair instead (two tabs, a network retry).
///
/// # Safety
/// `store` is NULL or a live store handle; `refresh_token` is NULL or a
/// NUL-terminated string; `out` is NULL or writable. On success `*out` is a
/// new handle, to be freed with `coatcheck_token_pair_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_refresh(
    store: *const coatcheck_store,
    refresh_token: *const c_char,
    out: *mut *mut coatcheck_token_pair,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { pair_call(store, refresh_token, "refresh_token", out, Store::refresh) }
}

/// Ends every token pair of the session of `token` at once (its access
/// tokens stop verifying, its refresh token stops refreshing); the session
/// itself lives on. If `out_revoked` is not NULL, writes whether a pair was
/// live.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out_revoked` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_revoke_pairs(
    store: *const coatcheck_store,
    token: *const c_char,
    out_revoked: *mut bool,
) -> coatcheck_status {
    // SAFETY: `out_revoked` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_revoked, false) };
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `token` is NULL or NUL-terminated (this function's contract).
        let token = unsafe { str_arg(token, "token") }?;
        let revoked = store.store.revoke_pairs(token)?;
        if let Some(out) = out {
            *out = revoked;
        }
        Ok(())
    })
}

/// Checks an access token (signature, expiry, generation, and that its
/// session still lives) and writes its session to `*out`. What the statuses
/// tell the client:
///
/// - `COATCHECK_ACCESS_EXPIRED`: the access token lapsed; refresh the pair
///   (`coatcheck_store_refresh`), do not sign the user out.
/// - `COATCHECK_INVALID_TOKEN`: malformed, forged, or signed by a key no
///   longer configured; refresh, else sign in.
/// - `COATCHECK_NOT_FOUND`: a later pair (`issue_pair`, `refresh`) replaced
///   this one; use the newer pair.
/// - `COATCHECK_EXPIRED`, `COATCHECK_REVOKED`: the session is over (reason
///   `"rotated"` after login/regenerate, which end every pair); sign in.
///
/// # Safety
/// `store` is NULL or a live store handle; `access` is NULL or a
/// NUL-terminated string; `out` is NULL or writable. On success `*out` is a
/// new handle, to be freed with `coatcheck_session_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_verify_access(
    store: *const coatcheck_store,
    access: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `access` is NULL or NUL-terminated (this function's contract).
        let access = unsafe { str_arg(access, "access") }?;
        *out = into_handle(coatcheck_session {
            session: store.store.verify_access(access)?,
        });
        Ok(())
    })
}

/// Writes the access token (send it as `Authorization: Bearer …`) to
/// `*out`; free it with `coatcheck_string_free`.
///
/// # Safety
/// `pair` is NULL or a live token-pair handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_token_pair_access(
    pair: *const coatcheck_token_pair,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `pair` is NULL or live (this function's contract).
        *out = c_string(&unsafe { handle(pair, "pair") }?.pair.access, "access")?;
        Ok(())
    })
}

/// Writes the refresh token (keep it secret; present it once to
/// `coatcheck_store_refresh`) to `*out`; free it with `coatcheck_string_free`.
///
/// # Safety
/// `pair` is NULL or a live token-pair handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_token_pair_refresh(
    pair: *const coatcheck_token_pair,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `pair` is NULL or live (this function's contract).
        *out = c_string(&unsafe { handle(pair, "pair") }?.pair.refresh, "refresh")?;
        Ok(())
    })
}

/// Writes when the access token expires (milliseconds since the Unix epoch).
///
/// # Safety
/// `pair` is NULL or a live token-pair handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_token_pair_access_expires_at_ms(
    pair: *const coatcheck_token_pair,
    out: *mut i64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `pair` is NULL or live (this function's contract).
        *out = unsafe { handle(pair, "pair") }?
            .pair
            .access_expires_at
            .as_millis();
        Ok(())
    })
}

/// Writes when the refresh token expires (milliseconds since the Unix epoch).
///
/// # Safety
/// `pair` is NULL or a live token-pair handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_token_pair_refresh_expires_at_ms(
    pair: *const coatcheck_token_pair,
    out: *mut i64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `pair` is NULL or live (this function's contract).
        *out = unsafe { handle(pair, "pair") }?
            .pair
            .refresh_expires_at
            .as_millis();
        Ok(())
    })
}

/// Frees a token pair. NULL is a no-op.
///
/// # Safety
/// `pair` is NULL or a token-pair handle not freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_token_pair_free(pair: *mut coatcheck_token_pair) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(pair) });
}

/// Makes a cookie configuration with the secure defaults.
///
/// # Safety
/// `out` is NULL or writable. On success `*out` is a new handle, to be freed
/// with `coatcheck_cookie_config_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_new(
    out: *mut *mut coatcheck_cookie_config,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        *out = into_handle(coatcheck_cookie_config {
            config: CookieConfig::default(),
        });
        Ok(())
    })
}

/// Frees a cookie configuration. NULL is a no-op.
///
/// # Safety
/// `config` is NULL or a handle from `coatcheck_cookie_config_new` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_free(config: *mut coatcheck_cookie_config) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(config) });
}

/// Sets the cookie name (default `session`).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile;
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_name(
    config: *mut coatcheck_cookie_config,
    name: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        // SAFETY: `name` is NULL or NUL-terminated (this function's contract).
        c.config.name = unsafe { str_arg(name, "name") }?.to_owned();
        Ok(())
    })
}

/// Sets the `Path` attribute (default `/`).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile;
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_path(
    config: *mut coatcheck_cookie_config,
    path: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        // SAFETY: `path` is NULL or NUL-terminated (this function's contract).
        c.config.path = unsafe { str_arg(path, "path") }?.to_owned();
        Ok(())
    })
}

/// Sets the `Domain` attribute; NULL (the default) means this host only.
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile;
/// `domain` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_domain(
    config: *mut coatcheck_cookie_config,
    domain: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        // SAFETY: `domain` is NULL or NUL-terminated (this function's contract).
        c.config.domain = unsafe { opt_str_arg(domain, "domain") }?.map(str::to_owned);
        Ok(())
    })
}

/// Sets the `Secure` attribute (default true; always on with `SameSite=None`).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_secure(
    config: *mut coatcheck_cookie_config,
    secure: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        unsafe { handle_mut(config, "config") }?.config.secure = secure;
        Ok(())
    })
}

/// Sets the `HttpOnly` attribute (default true: scripts cannot read the token).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_http_only(
    config: *mut coatcheck_cookie_config,
    http_only: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        unsafe { handle_mut(config, "config") }?.config.http_only = http_only;
        Ok(())
    })
}

/// Sets the `SameSite` attribute: `COATCHECK_SAME_SITE_STRICT`,
/// `COATCHECK_SAME_SITE_LAX` (default) or `COATCHECK_SAME_SITE_NONE`; any
/// other number is `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_same_site(
    config: *mut coatcheck_cookie_config,
    same_site: coatcheck_same_site,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        c.config.same_site = match same_site {
            COATCHECK_SAME_SITE_STRICT => SameSite::Strict,
            COATCHECK_SAME_SITE_LAX => SameSite::Lax,
            COATCHECK_SAME_SITE_NONE => SameSite::None,
            other => {
                return Err(Failure::invalid(format!(
                    "cookie_config_set_same_site: invalid argument: {other} is not a \
                     COATCHECK_SAME_SITE_* value"
                )))
            }
        };
        Ok(())
    })
}

/// Sets whether the cookie value is signed with HMAC-SHA256 (default
/// false). Signed cookies need at least one key
/// (`coatcheck_cookie_config_add_key`).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_signed(
    config: *mut coatcheck_cookie_config,
    signed_: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        unsafe { handle_mut(config, "config") }?.config.signed = signed_;
        Ok(())
    })
}

/// Appends a signing key (at least 32 bytes). Cookies are signed with the
/// first key added and accepted under any: to rotate, build a configuration
/// with the new key first and the old one after it.
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile;
/// `key` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_add_key(
    config: *mut coatcheck_cookie_config,
    key: *const u8,
    len: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        if key.is_null() {
            return Err(Failure::null("key"));
        }
        // SAFETY: `key` is non-NULL and points to `len` readable bytes (this
        // function's contract).
        let key = unsafe { std::slice::from_raw_parts(key, len) };
        if key.len() < 32 {
            return Err(Failure::invalid(format!(
                "cookie_config_add_key: invalid argument: a cookie signing key must be at least \
                 32 bytes, got {}",
                key.len()
            )));
        }
        c.config.keys.push(key.to_vec());
        Ok(())
    })
}

/// Sets the name of the JavaScript-readable CSRF cookie (default `XSRF-TOKEN`).
///
/// # Safety
/// `config` is NULL or a live handle used by no other thread meanwhile;
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_cookie_config_set_csrf_cookie_name(
    config: *mut coatcheck_cookie_config,
    name: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `config` is NULL or live and unshared (this function's contract).
        let c = unsafe { handle_mut(config, "config") }?;
        // SAFETY: `name` is NULL or NUL-terminated (this function's contract).
        c.config.csrf_cookie_name = unsafe { str_arg(name, "name") }?.to_owned();
        Ok(())
    })
}

/// Writes the `Set-Cookie` header value that hands the session's token to
/// the browser to `*out` (free it with `coatcheck_string_free`). The session
/// must carry its token (from `create`, `regenerate` or `login`); otherwise
/// use `coatcheck_http_set_cookie_for`. A "remember me" session gets
/// `Max-Age`/`Expires` matching its expiry, any other a browser-session
/// cookie.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `session` is NULL or a
/// live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_set_cookie(
    config: *const coatcheck_cookie_config,
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` and `session` are NULL or live (this function's contract).
        let (c, s) = unsafe { (handle(config, "config")?, handle(session, "session")?) };
        *out = c_string(&c.config.set_cookie(&s.session)?, "header")?;
        Ok(())
    })
}

/// Like `coatcheck_http_set_cookie`, for `token` (the request's token) with
/// the lifetime of `session`.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `token` is NULL or a
/// NUL-terminated string; `session` is NULL or a live session handle; `out`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_set_cookie_for(
    config: *const coatcheck_cookie_config,
    token: *const c_char,
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` and `session` are NULL or live, `token` is NULL or
        // NUL-terminated (this function's contract).
        let (c, token, s) = unsafe {
            (
                handle(config, "config")?,
                str_arg(token, "token")?,
                handle(session, "session")?,
            )
        };
        *out = c_string(&c.config.set_cookie_for(token, &s.session)?, "header")?;
        Ok(())
    })
}

/// Writes the `Set-Cookie` header value that deletes the session cookie to
/// `*out`; free it with `coatcheck_string_free`.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_clear_cookie(
    config: *const coatcheck_cookie_config,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` is NULL or live (this function's contract).
        let c = unsafe { handle(config, "config") }?;
        c.config
            .validate()
            .map_err(|e| Failure::core(e, "clear_cookie"))?;
        *out = c_string(&c.config.clear_cookie(), "header")?;
        Ok(())
    })
}

/// Writes a `Set-Cookie` header value for the JavaScript-readable CSRF cookie
/// holding `csrf_token` (from `coatcheck_store_csrf_token`) to `*out`; free
/// it with `coatcheck_string_free`. The page echoes it in an `X-XSRF-TOKEN`
/// header, which `coatcheck_store_verify_csrf` checks.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `csrf_token` is NULL or
/// a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_csrf_cookie(
    config: *const coatcheck_cookie_config,
    csrf_token: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` is NULL or live, `csrf_token` NULL or
        // NUL-terminated (this function's contract).
        let (c, csrf) = unsafe {
            (
                handle(config, "config")?,
                str_arg(csrf_token, "csrf_token")?,
            )
        };
        c.config
            .validate()
            .map_err(|e| Failure::core(e, "csrf_cookie"))?;
        *out = c_string(&c.config.csrf_cookie(csrf), "header")?;
        Ok(())
    })
}

/// Writes the session token found in a `Cookie` request header to `*out`
/// (free it with `coatcheck_string_free`): the first of
/// `coatcheck_http_token_candidates_from_cookie_header`, or NULL when the
/// cookie is absent, malformed, oversized, or (signed cookies) not signed
/// by any of the keys. Not finding a token is `COATCHECK_OK`; so is a NULL
/// `header` (what `getenv("HTTP_COOKIE")` returns without cookies). Bytes
/// that are not UTF-8 in other cookies are ignored.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `header` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_token_from_cookie_header(
    config: *const coatcheck_cookie_config,
    header: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` is NULL or live, `header` NULL or NUL-terminated
        // (this function's contract).
        let (c, header) = unsafe { (handle(config, "config")?, header_arg(header)) };
        let token = header.and_then(|h| c.config.token_from_cookie_header(&h));
        *out = opt_c_string(token.as_deref(), "token")?;
        Ok(())
    })
}

/// Writes every session token found in a `Cookie` request header to `*out`
/// as a JSON array of strings (free it with `coatcheck_string_free`), in the
/// order the browser sent them, without repeats, at most 8: each cookie of
/// the session's name that is well formed and, for signed cookies,
/// verifies. More than one means a planted cookie (cookie tossing from a
/// sibling subdomain) or a stale one: use the first whose session lives.
/// A NULL `header` gives `[]`.
///
/// # Safety
/// `config` is NULL or a live cookie-config handle; `header` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_token_candidates_from_cookie_header(
    config: *const coatcheck_cookie_config,
    header: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `config` is NULL or live, `header` NULL or NUL-terminated
        // (this function's contract).
        let (c, header) = unsafe { (handle(config, "config")?, header_arg(header)) };
        let tokens = header
            .map(|h| c.config.token_candidates_from_cookie_header(&h))
            .unwrap_or_default();
        let json = serde_json::to_string(&tokens)
            .map_err(|e| Failure::invalid(format!("token_candidates: {e}")))?;
        *out = c_string(&json, "candidates")?;
        Ok(())
    })
}

/// Writes the token of an `Authorization: Bearer TOKEN` header value to
/// `*out` (free it with `coatcheck_string_free`), or NULL for another
/// scheme or a malformed value. Not finding a token is `COATCHECK_OK`; so
/// is a NULL `header` (no `Authorization` header).
///
/// # Safety
/// `header` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_http_token_from_authorization(
    header: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `header` is NULL or NUL-terminated (this function's contract).
        let header = unsafe { header_arg(header) };
        *out = opt_c_string(
            header.as_deref().and_then(token_from_authorization),
            "token",
        )?;
        Ok(())
    })
}
