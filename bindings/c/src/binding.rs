//! Opt-in binding of sessions to their client (user agent, IP prefix).

use std::ffi::c_char;

use engine::{Binding, Meta};

use crate::ffi::{handle, handle_mut, header_arg, into_handle, out_ptr, str_arg};
use crate::options::coatcheck_options;
use crate::session::coatcheck_session;
use crate::status::coatcheck_status;
use crate::store::coatcheck_store;

/// Binds sessions to their client, as checked by `coatcheck_store_get_from`:
/// with `user_agent`, the `User-Agent` must stay the one the session was
/// created with; with `ipv4_prefix_bits` (1..=32) or `ipv6_prefix_bits`
/// (1..=128), the client's address must stay within that prefix of the
/// session's `ip`. 0 leaves a part unbound (the default: nothing bound). A
/// mismatch ends the session (`COATCHECK_REVOKED`, reason
/// `"binding_mismatch"`).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_binding(
    options: *mut coatcheck_options,
    user_agent: bool,
    ipv4_prefix_bits: u8,
    ipv6_prefix_bits: u8,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.binding = Binding {
            user_agent,
            ipv4_prefix: (ipv4_prefix_bits > 0).then_some(ipv4_prefix_bits),
            ipv6_prefix: (ipv6_prefix_bits > 0).then_some(ipv6_prefix_bits),
        };
        Ok(())
    })
}

/// `coatcheck_store_get` for a request from the client at `ip` with
/// `user_agent` (each NULL when the request has none, as `getenv` gives
/// them): with `coatcheck_options_set_binding`, a client that does not
/// match the session's ends it (`COATCHECK_REVOKED`, reason
/// `"binding_mismatch"`).
///
/// # Safety
/// `store` is NULL or a live store handle; `token`, `ip` and `user_agent`
/// are each NULL or a NUL-terminated string; `out` is NULL or writable. On
/// success `*out` is a new handle, to be freed with `coatcheck_session_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_get_from(
    store: *const coatcheck_store,
    token: *const c_char,
    ip: *const c_char,
    user_agent: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live, the strings NULL or NUL-terminated
        // (this function's contract).
        let (store, token, ip, user_agent) = unsafe {
            (
                handle(store, "store")?,
                str_arg(token, "token")?,
                header_arg(ip),
                header_arg(user_agent),
            )
        };
        let client = Meta {
            ip: ip.map(|s| s.into_owned()),
            user_agent: user_agent.map(|s| s.into_owned()),
            label: None,
        };
        *out = into_handle(coatcheck_session {
            session: store.store.get_from(token, &client)?,
        });
        Ok(())
    })
}
