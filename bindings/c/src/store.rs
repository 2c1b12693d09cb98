//! The store: opening, closing, and every session operation of the core.

use std::ffi::c_char;

use engine::{
    data_from_json_str, data_to_json, Changes, Config, Lifetime, ManualClock, Meta, Session,
    SessionId, Store, Value,
};

use crate::error::Failure;
use crate::ffi::{
    c_string, handle, into_handle, millis, opt_out_ptr, opt_str_arg, out_ptr, str_arg,
};
use crate::options::coatcheck_options;
use crate::session::{
    coatcheck_create_options, coatcheck_session, coatcheck_session_list, coatcheck_string_list,
};
use crate::status::coatcheck_status;

/// An open store (an opaque handle), from `coatcheck_store_open` or
/// `coatcheck_store_open_in_memory`, closed and freed with
/// `coatcheck_store_close`.
///
/// Thread safety: every function may be called on one store from any number
/// of threads at once; each call is atomic. Only `coatcheck_store_close`
/// must wait until no other thread uses the store.
pub struct coatcheck_store {
    pub(crate) store: Store,
    clock: Option<ManualClock>,
}

/// The configuration and manual clock in `options` (NULL: the defaults).
///
/// # Safety
/// `options` is NULL or a live options handle.
pub(crate) unsafe fn config_of(options: *const coatcheck_options) -> (Config, Option<ManualClock>) {
    // SAFETY: `options` is NULL or live (the caller's contract).
    match unsafe { options.as_ref() } {
        Some(o) => (o.config.clone(), o.clock.clone()),
        None => (Config::default(), None),
    }
}

/// Opens (or creates) the store file at `path`.
///
/// NULL `options` means the defaults. Fails with `COATCHECK_INVALID_ARGUMENT`
/// naming the knob when an option is out of range, `COATCHECK_LOCKED` when
/// another store (in this or another process) has the file open
/// exclusively (for several worker processes on one file, each opens it
/// after fork with `coatcheck_options_set_shared(opts, true)`), and
/// `COATCHECK_CORRUPT` when the file is not a coatcheck store.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `options` is NULL or a live
/// options handle; `out` is NULL or valid for writing a pointer. On success
/// `*out` is a new handle, to be closed with `coatcheck_store_close`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_open(
    path: *const c_char,
    options: *const coatcheck_options,
    out: *mut *mut coatcheck_store,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `path` is NULL or NUL-terminated (this function's contract).
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: `options` is NULL or live (this function's contract).
        let (config, clock) = unsafe { config_of(options) };
        crate::fork::install_hook();
        let store = Store::open(path, config)?;
        *out = into_handle(coatcheck_store { store, clock });
        Ok(())
    })
}

/// Opens a store that lives in memory only (for tests and caches).
///
/// # Safety
/// `options` is NULL or a live options handle; `out` is NULL or valid for
/// writing a pointer. On success `*out` is a new handle, to be closed with
/// `coatcheck_store_close`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_open_in_memory(
    options: *const coatcheck_options,
    out: *mut *mut coatcheck_store,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `options` is NULL or live (this function's contract).
        let (config, clock) = unsafe { config_of(options) };
        crate::fork::install_hook();
        let store = Store::in_memory(config)?;
        *out = into_handle(coatcheck_store { store, clock });
        Ok(())
    })
}

/// Closes the store and frees its handle: flushes every change to disk,
/// stops the background sweeper, releases the file, and sets `*store` to
/// NULL. Pass the address of your handle (`coatcheck_store_close(&store)`);
/// a NULL `store` or `*store` is a no-op, so closing twice is harmless.
///
/// The handle is freed even when the final flush fails (the status says
/// so). Call it once no other thread uses the store.
///
/// # Safety
/// `store` is NULL or valid for reading and writing a pointer, and `*store`
/// is NULL or a live store handle that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_close(
    store: *mut *mut coatcheck_store,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `store` is NULL or valid for reads and writes (this function's contract).
        let Some(slot) = (unsafe { store.as_mut() }) else {
            return Ok(());
        };
        let handle = std::mem::replace(slot, std::ptr::null_mut());
        if handle.is_null() {
            return Ok(());
        }
        // SAFETY: `handle` came from `into_handle` (Box::into_raw), is live,
        // unused by other threads, and is taken out of `*store`, so it is
        // freed once.
        let owned = unsafe { Box::from_raw(handle) };
        owned.store.close()?;
        Ok(())
    })
}

/// Makes every change durable now (useful with periodic durability).
///
/// # Safety
/// `store` is NULL or a live store handle.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_flush(store: *const coatcheck_store) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        unsafe { handle(store, "store") }?.store.flush()?;
        Ok(())
    })
}

/// Writes the store's counters as a JSON object to `*out` (`sessions`,
/// `users`, `file_bytes`, `commits`, `durable_commits`, `sessions_swept`,
/// `cache_hits`, `cache_misses`, `events_dropped`); free it with
/// `coatcheck_string_free`.
///
/// # Safety
/// `store` is NULL or a live store handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_stats_json(
    store: *const coatcheck_store,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let stats = unsafe { handle(store, "store") }?.store.stats()?;
        let json = serde_json::json!({
            "sessions": stats.sessions,
            "users": stats.users,
            "file_bytes": stats.file_bytes,
            "commits": stats.commits,
            "durable_commits": stats.durable_commits,
            "sessions_swept": stats.sessions_swept,
            "cache_hits": stats.cache_hits,
            "cache_misses": stats.cache_misses,
            "events_dropped": stats.events_dropped,
        });
        *out = c_string(&json.to_string(), "stats")?;
        Ok(())
    })
}

/// For tests: moves the manual clock of a store opened with
/// `coatcheck_options_set_manual_clock_ms` forward by `ms`. On a store with
/// the system clock it is `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `store` is NULL or a live store handle.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_advance_clock_ms(
    store: *const coatcheck_store,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        let clock = store.clock.as_ref().ok_or_else(|| {
            Failure::invalid(
                "store_advance_clock_ms: invalid argument: the store was not opened with \
                 coatcheck_options_set_manual_clock_ms",
            )
        })?;
        clock.advance(millis(ms));
        Ok(())
    })
}

/// Runs a store operation that takes a token and returns a session.
///
/// # Safety
/// `store` is NULL or live; `token` is NULL or NUL-terminated; `out` is NULL
/// or writable.
unsafe fn session_call(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_session,
    call: impl FnOnce(&Store, &str) -> engine::Result<Session>,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (the caller's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `token` is NULL or NUL-terminated (the caller's contract).
        let token = unsafe { str_arg(token, "token") }?;
        *out = into_handle(coatcheck_session {
            session: call(&store.store, token)?,
        });
        Ok(())
    })
}

/// Runs a store operation that takes a token and returns nothing.
///
/// # Safety
/// `store` is NULL or live; `token` is NULL or NUL-terminated.
unsafe fn token_call(
    store: *const coatcheck_store,
    token: *const c_char,
    call: impl FnOnce(&Store, &str) -> Result<(), Failure>,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (the caller's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `token` is NULL or NUL-terminated (the caller's contract).
        let token = unsafe { str_arg(token, "token") }?;
        call(&store.store, token)
    })
}

/// Creates a session and writes it to `*out`, with its token (read it with
/// `coatcheck_session_token`: the only time the token is shown). NULL
/// `options` creates an anonymous session with no data.
///
/// # Safety
/// `store` is NULL or a live store handle; `options` is NULL or a live
/// create-options handle; `out` is NULL or writable. On success `*out` is a
/// new handle, to be freed with `coatcheck_session_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_create(
    store: *const coatcheck_store,
    options: *const coatcheck_create_options,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `options` is NULL or live (this function's contract).
        let new = unsafe { options.as_ref() }
            .map(|o| o.new.clone())
            .unwrap_or_default();
        *out = into_handle(coatcheck_session {
            session: store.store.create(new)?,
        });
        Ok(())
    })
}

/// Validates `token`, marks its session used (sliding expiry) and writes the
/// session to `*out`. Fails with `COATCHECK_NOT_FOUND`, `COATCHECK_EXPIRED`
/// or `COATCHECK_REVOKED` (see `coatcheck_status_is_not_found`), or
/// `COATCHECK_INVALID_TOKEN` for malformed input.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out` is NULL or writable. On success `*out` is a
/// new handle, to be freed with `coatcheck_session_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_get(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { session_call(store, token, out, Store::get) }
}

/// Like `coatcheck_store_get`, without marking the session used.
///
/// # Safety
/// As `coatcheck_store_get`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_peek(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { session_call(store, token, out, Store::peek) }
}

/// Sets `key` to the value given as JSON text (`"\"dark\""`, `42`,
/// `["tea"]`, `{"$bytes": "<base64url>"}` for bytes…). Atomic: concurrent
/// changes of other keys all survive. Invalid JSON, an empty `key` or one
/// longer than 256 bytes is `COATCHECK_INVALID_ARGUMENT`, and nothing
/// changes.
///
/// # Safety
/// `store` is NULL or a live store handle; `token`, `key` and `value_json`
/// are each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_set_json(
    store: *const coatcheck_store,
    token: *const c_char,
    key: *const c_char,
    value_json: *const c_char,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let (key, json) = (str_arg(key, "key")?, str_arg(value_json, "value_json")?);
            let value = Value::from_json_str(json).map_err(|e| Failure::core(e, "set"))?;
            store.set(token, key, value)?;
            Ok(())
        })
    }
}

/// Applies a batch of changes to the session in one atomic write and one
/// commit. `changes_json` is a JSON object with any of `"clear"` (`true`:
/// remove every key first), `"set"` (an object of keys and JSON values),
/// `"remove"` (an array of keys), `"flash"` (an object), `"lifetime"`
/// (`{"idle_ms": n, "absolute_ms": n}`, or `null` for the configured
/// lifetime) and `"remember"` (a boolean); a clear applies first, then
/// sets, then removes. Everything is checked first: invalid JSON, an unknown field, a
/// bad key or value, or a session that would grow too large is
/// `COATCHECK_INVALID_ARGUMENT`, and nothing changes. Only the keys named
/// change, so concurrent batches on different keys all survive. A batch
/// that changes nothing writes nothing; an ended session is never brought
/// back (`COATCHECK_NOT_FOUND`, `COATCHECK_EXPIRED`, `COATCHECK_REVOKED`).
///
/// # Safety
/// `store` is NULL or a live store handle; `token` and `changes_json` are
/// each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_apply_json(
    store: *const coatcheck_store,
    token: *const c_char,
    changes_json: *const c_char,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let json = str_arg(changes_json, "changes_json")?;
            let changes = Changes::from_json_str(json).map_err(|e| Failure::core(e, "apply"))?;
            store.apply(token, changes)?;
            Ok(())
        })
    }
}

/// Removes `key`. If `out_old_json` is not NULL, writes the value it held as
/// JSON text to `*out_old_json` (free it with `coatcheck_string_free`), or
/// NULL if the key was absent.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` and `key` are each NULL
/// or a NUL-terminated string; `out_old_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_remove(
    store: *const coatcheck_store,
    token: *const c_char,
    key: *const c_char,
    out_old_json: *mut *mut c_char,
) -> coatcheck_status {
    // SAFETY: `out_old_json` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_old_json, std::ptr::null_mut()) };
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let key = str_arg(key, "key")?;
            let old = store.remove(token, key)?;
            if let (Some(out), Some(old)) = (out, old) {
                *out = c_string(&old.to_json().to_string(), "value")?;
            }
            Ok(())
        })
    }
}

/// Replaces all data with the JSON object `data_json` if the session is
/// still at `version` (optimistic concurrency); `COATCHECK_CONFLICT` if it
/// moved. If `out_version` is not NULL, writes the new version there. A key
/// of `data_json` that is empty or longer than 256 bytes is
/// `COATCHECK_INVALID_ARGUMENT`, and nothing changes.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` and `data_json` are each
/// NULL or a NUL-terminated string; `out_version` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_replace_if_json(
    store: *const coatcheck_store,
    token: *const c_char,
    version: u64,
    data_json: *const c_char,
    out_version: *mut u64,
) -> coatcheck_status {
    // SAFETY: `out_version` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_version, 0) };
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let text = str_arg(data_json, "data_json")?;
            let data = data_from_json_str(text).map_err(|e| Failure::core(e, "replace_if"))?;
            let new_version = store.replace_if(token, version, data)?;
            if let Some(out) = out {
                *out = new_version;
            }
            Ok(())
        })
    }
}

/// Ends the session of `token`. If `out_ended` is not NULL, writes whether a
/// session was ended; an unknown or already ended token is not an error.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out_ended` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_destroy(
    store: *const coatcheck_store,
    token: *const c_char,
    out_ended: *mut bool,
) -> coatcheck_status {
    // SAFETY: `out_ended` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_ended, false) };
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let ended = store.destroy(token)?;
            if let Some(out) = out {
                *out = ended;
            }
            Ok(())
        })
    }
}

/// Ends the session of `token`: `coatcheck_store_destroy` under the name
/// apps use.
///
/// # Safety
/// As `coatcheck_store_destroy`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_logout(
    store: *const coatcheck_store,
    token: *const c_char,
    out_ended: *mut bool,
) -> coatcheck_status {
    // SAFETY: `out_ended` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_ended, false) };
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let ended = store.logout(token)?;
            if let Some(out) = out {
                *out = ended;
            }
            Ok(())
        })
    }
}

/// Gives the session a new token and id, keeping its data, and writes it
/// (with the new token) to `*out`; the old token stops working at once
/// (`COATCHECK_REVOKED`, reason `"rotated"`). Renew the id on any privilege
/// change (OWASP: session fixation).
///
/// # Safety
/// As `coatcheck_store_get`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_regenerate(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { session_call(store, token, out, Store::regenerate) }
}

/// Attaches `user` to the session, keeping its data (the shopping cart), and
/// writes it to `*out`. By default (`regenerate_on_login`) the session gets
/// a new token, readable with `coatcheck_session_token`, and the old one
/// stops working; otherwise the session carries no token and the old one
/// stays valid. Enforces `max_sessions_per_user`.
///
/// # Safety
/// As `coatcheck_store_get`; `user` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_login(
    store: *const coatcheck_store,
    token: *const c_char,
    user: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: `user` is NULL or NUL-terminated (this function's contract).
    let user = match unsafe { str_arg(user, "user") } {
        Ok(user) => user,
        Err(failure) => {
            // SAFETY: `out` is NULL or writable (this function's contract).
            if let Some(out) = unsafe { out.as_mut() } {
                *out = std::ptr::null_mut();
            }
            return failure.report();
        }
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { session_call(store, token, out, |store, token| store.login(token, user)) }
}

/// Adds a flash value (JSON text), kept until the next
/// `coatcheck_store_take_flash_json`. As with `coatcheck_store_set_json`, an
/// empty `key` (or one longer than 256 bytes) is
/// `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `store` is NULL or a live store handle; `token`, `key` and `value_json`
/// are each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_flash_json(
    store: *const coatcheck_store,
    token: *const c_char,
    key: *const c_char,
    value_json: *const c_char,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let (key, json) = (str_arg(key, "key")?, str_arg(value_json, "value_json")?);
            let value = Value::from_json_str(json).map_err(|e| Failure::core(e, "flash"))?;
            store.flash(token, key, value)?;
            Ok(())
        })
    }
}

/// Takes the flash values, atomically (each is read once), and writes them
/// as one JSON object to `*out` (`{}` when there are none); free it with
/// `coatcheck_string_free`.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_take_flash_json(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    // SAFETY: `out` is NULL or writable (this function's contract).
    let out = match unsafe { out_ptr(out, "out", std::ptr::null_mut()) } {
        Ok(out) => out,
        Err(failure) => return failure.report(),
    };
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let flash = store.take_flash(token)?;
            *out = c_string(&data_to_json(&flash).to_string(), "flash")?;
            Ok(())
        })
    }
}

/// Gives the session a lifetime of its own: `idle_ms` of inactivity and
/// `absolute_ms` in total, counted from its creation.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_set_lifetime_ms(
    store: *const coatcheck_store,
    token: *const c_char,
    idle_ms: u64,
    absolute_ms: u64,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            store.set_lifetime(token, Lifetime::new(millis(idle_ms), millis(absolute_ms)))?;
            Ok(())
        })
    }
}

/// Turns "keep me signed in" on or off: the session then uses the remember
/// (long) or the default lifetime.
///
/// # Safety
/// `store` is NULL or a live store handle; `token` is NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_set_remember(
    store: *const coatcheck_store,
    token: *const c_char,
    remember: bool,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            store.set_remember(token, remember)?;
            Ok(())
        })
    }
}

/// Replaces the session's meta: IP address, `User-Agent`, label (each may
/// be NULL).
///
/// # Safety
/// `store` is NULL or a live store handle; `token`, `ip`, `user_agent` and
/// `label` are each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_set_meta(
    store: *const coatcheck_store,
    token: *const c_char,
    ip: *const c_char,
    user_agent: *const c_char,
    label: *const c_char,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        token_call(store, token, |store, token| {
            let meta = Meta {
                ip: opt_str_arg(ip, "ip")?.map(str::to_owned),
                user_agent: opt_str_arg(user_agent, "user_agent")?.map(str::to_owned),
                label: opt_str_arg(label, "label")?.map(str::to_owned),
            };
            store.set_meta(token, meta)?;
            Ok(())
        })
    }
}

/// Writes the live sessions of `user`, most recently used first, as a list
/// to `*out` (the sessions carry no tokens); free it with
/// `coatcheck_session_list_free`.
///
/// # Safety
/// `store` is NULL or a live store handle; `user` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_sessions_of(
    store: *const coatcheck_store,
    user: *const c_char,
    out: *mut *mut coatcheck_session_list,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `user` is NULL or NUL-terminated (this function's contract).
        let user = unsafe { str_arg(user, "user") }?;
        let items = store.store.sessions_of(user)?;
        *out = into_handle(coatcheck_session_list {
            items: items
                .into_iter()
                .map(|session| coatcheck_session { session })
                .collect(),
        });
        Ok(())
    })
}

/// Writes the users with at least one live session, in order, after `after`
/// (NULL: from the start), at most `limit` of them, to `*out`; free it with
/// `coatcheck_string_list_free`. Page with the last user of the previous page.
///
/// # Safety
/// `store` is NULL or a live store handle; `after` is NULL or a
/// NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_users(
    store: *const coatcheck_store,
    after: *const c_char,
    limit: usize,
    out: *mut *mut coatcheck_string_list,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `after` is NULL or NUL-terminated (this function's contract).
        let after = unsafe { opt_str_arg(after, "after") }?;
        let items = store.store.users(after, limit)?;
        *out = into_handle(coatcheck_string_list { items });
        Ok(())
    })
}

/// Runs a store operation on a user that returns a count.
///
/// # Safety
/// `store` is NULL or live; `user` is NULL or NUL-terminated; `out` is NULL
/// or writable.
unsafe fn user_count_call(
    store: *const coatcheck_store,
    user: *const c_char,
    out: *mut usize,
    call: impl FnOnce(&Store, &str) -> Result<usize, Failure>,
) -> coatcheck_status {
    // SAFETY: `out` is NULL or writable (the caller's contract).
    let out = unsafe { opt_out_ptr(out, 0) };
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (the caller's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `user` is NULL or NUL-terminated (the caller's contract).
        let user = unsafe { str_arg(user, "user") }?;
        let count = call(&store.store, user)?;
        if let Some(out) = out {
            *out = count;
        }
        Ok(())
    })
}

/// Parses a session id (64 hex digits).
fn parse_id(text: &str, op: &str) -> Result<SessionId, Failure> {
    text.parse::<SessionId>().map_err(|e| Failure::core(e, op))
}

/// Ends every session of `user` ("log out everywhere"). If `out_count` is
/// not NULL, writes how many were ended.
///
/// # Safety
/// `store` is NULL or a live store handle; `user` is NULL or a
/// NUL-terminated string; `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_destroy_user(
    store: *const coatcheck_store,
    user: *const c_char,
    out_count: *mut usize,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { user_count_call(store, user, out_count, |s, u| Ok(s.destroy_user(u)?)) }
}

/// Ends every session of `user` but the one with id `keep_id` (64 hex
/// digits): "log out my other devices". If `out_count` is not NULL, writes
/// how many were ended.
///
/// # Safety
/// `store` is NULL or a live store handle; `user` and `keep_id` are each
/// NULL or a NUL-terminated string; `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_destroy_user_except(
    store: *const coatcheck_store,
    user: *const c_char,
    keep_id: *const c_char,
    out_count: *mut usize,
) -> coatcheck_status {
    // SAFETY: `store` is NULL or live and every string argument is NULL or
    // NUL-terminated (this function's contract); the closure runs inside
    // this block and reads only those arguments.
    unsafe {
        user_count_call(store, user, out_count, |s, u| {
            let keep = parse_id(str_arg(keep_id, "keep_id")?, "destroy_user_except")?;
            Ok(s.destroy_user_except(u, &keep)?)
        })
    }
}

/// Ends the session with id `id` (64 hex digits; admin). If `out_ended` is
/// not NULL, writes whether one was ended.
///
/// # Safety
/// `store` is NULL or a live store handle; `id` is NULL or a NUL-terminated
/// string; `out_ended` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_destroy_id(
    store: *const coatcheck_store,
    id: *const c_char,
    out_ended: *mut bool,
) -> coatcheck_status {
    // SAFETY: `out_ended` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_ended, false) };
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `id` is NULL or NUL-terminated (this function's contract).
        let id = parse_id(unsafe { str_arg(id, "id") }?, "destroy_id")?;
        let ended = store.store.destroy_id(&id)?;
        if let Some(out) = out {
            *out = ended;
        }
        Ok(())
    })
}

/// Ends the session with id `id` (64 hex digits) only if it belongs to
/// `user`: for a "your devices" page, where the id comes from the browser
/// and must never end someone else's session. If `out_ended` is not NULL,
/// writes whether a session was ended (`false` for another user's session,
/// an unknown id or an ended session alike). The session then reports
/// `COATCHECK_REVOKED`, reason `"logout"`.
///
/// # Safety
/// `store` is NULL or a live store handle; `user` and `id` are each NULL
/// or a NUL-terminated string; `out_ended` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_destroy_user_session(
    store: *const coatcheck_store,
    user: *const c_char,
    id: *const c_char,
    out_ended: *mut bool,
) -> coatcheck_status {
    // SAFETY: `out_ended` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_ended, false) };
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        let store = unsafe { handle(store, "store") }?;
        // SAFETY: `user` and `id` are NULL or NUL-terminated (this function's contract).
        let (user, id) = unsafe { (str_arg(user, "user")?, str_arg(id, "id")?) };
        let id = parse_id(id, "destroy_user_session")?;
        let ended = store.store.destroy_user_session(user, &id)?;
        if let Some(out) = out {
            *out = ended;
        }
        Ok(())
    })
}

/// After a password change: ends every other session of this session's
/// user, ends every token pair of this one, gives it a new token, all in
/// one atomic step, and writes it (with the new token: set the cookie
/// again) to `*out`. `COATCHECK_INVALID_ARGUMENT` for an anonymous session.
///
/// # Safety
/// As `coatcheck_store_get`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_revoke_others_and_regenerate(
    store: *const coatcheck_store,
    token: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { session_call(store, token, out, Store::revoke_others_and_regenerate) }
}

/// Writes the session with id `id` (64 hex digits; admin) to `*out`, without
/// marking it used. The session carries no token.
///
/// # Safety
/// `store` is NULL or a live store handle; `id` is NULL or a NUL-terminated
/// string; `out` is NULL or writable. On success `*out` is a new handle, to
/// be freed with `coatcheck_session_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_info(
    store: *const coatcheck_store,
    id: *const c_char,
    out: *mut *mut coatcheck_session,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        session_call(store, id, out, |store, id| {
            let id = id.parse::<SessionId>()?;
            store.info(&id)
        })
    }
}

/// Writes how many live sessions there are.
///
/// # Safety
/// `store` is NULL or a live store handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_count(
    store: *const coatcheck_store,
    out: *mut u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        *out = unsafe { handle(store, "store") }?.store.count()?;
        Ok(())
    })
}

/// Writes how many users have at least one live session.
///
/// # Safety
/// `store` is NULL or a live store handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_count_users(
    store: *const coatcheck_store,
    out: *mut u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        *out = unsafe { handle(store, "store") }?.store.count_users()?;
        Ok(())
    })
}

/// Removes expired sessions now (the background sweeper does the same every
/// sweep interval). If `out_removed` is not NULL, writes how many sessions
/// were removed.
///
/// # Safety
/// `store` is NULL or a live store handle; `out_removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_sweep(
    store: *const coatcheck_store,
    out_removed: *mut usize,
) -> coatcheck_status {
    // SAFETY: `out_removed` is NULL or writable (this function's contract).
    let out = unsafe { opt_out_ptr(out_removed, 0) };
    ffi_boundary!({
        // SAFETY: `store` is NULL or live (this function's contract).
        let removed = unsafe { handle(store, "store") }?.store.sweep()?;
        if let Some(out) = out {
            *out = removed;
        }
        Ok(())
    })
}
