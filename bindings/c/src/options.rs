//! The options of a store: one setter per knob of the core's `Config`.
//!
//! Setters only record values; `coatcheck_store_open` checks them all and
//! names the knob that is out of range.

use std::ffi::c_char;

use engine::{Config, Durability, ManualClock, Timestamp, TtlBasis};

use crate::error::Failure;
use crate::ffi::{free_handle, handle_mut, into_handle, millis, out_ptr, run_quietly, str_arg};
use crate::status::coatcheck_status;

/// The options of a store (an opaque handle): made by
/// `coatcheck_options_new` with the defaults of the specification, changed
/// with the `coatcheck_options_set_*` setters, freed with
/// `coatcheck_options_free`. A store copies them at open, so they can be
/// freed (or reused for another store) right after.
pub struct coatcheck_options {
    pub(crate) config: Config,
    pub(crate) clock: Option<ManualClock>,
}

/// What the idle timeout counts from (`coatcheck_options_set_ttl_basis`).
pub type coatcheck_ttl_basis = i32;
/// Any use, read or write, keeps a session alive (the default).
pub const COATCHECK_TTL_LAST_ACCESS: coatcheck_ttl_basis = 0;
/// Only changes keep a session alive; reads do not.
pub const COATCHECK_TTL_LAST_UPDATE: coatcheck_ttl_basis = 1;
/// Nothing keeps a session alive: it lives the idle timeout from creation.
pub const COATCHECK_TTL_CREATED: coatcheck_ttl_basis = 2;

/// When a change is on disk (`coatcheck_options_set_durability`).
pub type coatcheck_durability = i32;
/// A call that changes data returns after the change is on disk (the
/// default); concurrent writers share one commit.
pub const COATCHECK_DURABILITY_IMMEDIATE: coatcheck_durability = 0;
/// Changes are visible at once and on disk within the given interval.
pub const COATCHECK_DURABILITY_PERIODIC: coatcheck_durability = 1;

/// Makes options with the defaults of the specification.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer. On success `*out` is a new
/// handle, to be freed with `coatcheck_options_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_new(
    out: *mut *mut coatcheck_options,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        *out = into_handle(coatcheck_options {
            config: Config::default(),
            clock: None,
        });
        Ok(())
    })
}

/// Frees options. NULL is a no-op.
///
/// # Safety
/// `options` is NULL or a handle from `coatcheck_options_new` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_free(options: *mut coatcheck_options) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(options) });
}

/// Sets the sliding inactivity limit (default 30 minutes).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_idle_timeout_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.idle_timeout = millis(ms);
        Ok(())
    })
}

/// Sets the hard limit from creation (default 24 hours).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_absolute_timeout_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.absolute_timeout = millis(ms);
        Ok(())
    })
}

/// Sets the idle limit of "remember me" sessions (default 30 days).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_remember_idle_timeout_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.remember_idle_timeout = millis(ms);
        Ok(())
    })
}

/// Sets the hard limit of "remember me" sessions (default 90 days).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_remember_absolute_timeout_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.remember_absolute_timeout = millis(ms);
        Ok(())
    })
}

/// Sets what the idle timeout counts from: `COATCHECK_TTL_LAST_ACCESS`
/// (default), `COATCHECK_TTL_LAST_UPDATE` or `COATCHECK_TTL_CREATED`; any
/// other number is `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_ttl_basis(
    options: *mut coatcheck_options,
    basis: coatcheck_ttl_basis,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.ttl_basis = match basis {
            COATCHECK_TTL_LAST_ACCESS => TtlBasis::LastAccess,
            COATCHECK_TTL_LAST_UPDATE => TtlBasis::LastUpdate,
            COATCHECK_TTL_CREATED => TtlBasis::Created,
            other => {
                return Err(Failure::invalid(format!(
                "options_set_ttl_basis: invalid argument: {other} is not a COATCHECK_TTL_* value"
            )))
            }
        };
        Ok(())
    })
}

/// Sets how often a read may persist `last_access` (default: a tenth of the
/// idle timeout). Reads in between update memory only.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_touch_interval_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.touch_interval = Some(millis(ms));
        Ok(())
    })
}

/// Sets how often the background sweeper removes expired sessions (default
/// 60 s); 0 disables the background sweeper (`coatcheck_store_sweep` still
/// works).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_sweep_interval_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.sweep_interval = (ms > 0).then(|| millis(ms));
        Ok(())
    })
}

/// Sets how many records one sweep transaction removes at most (default 1000).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_sweep_batch(
    options: *mut coatcheck_options,
    batch: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.sweep_batch = batch;
        Ok(())
    })
}

/// Sets when changes are on disk: `COATCHECK_DURABILITY_IMMEDIATE` (default;
/// `interval_ms` is ignored) or `COATCHECK_DURABILITY_PERIODIC` (on disk
/// within `interval_ms`); any other number is `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_durability(
    options: *mut coatcheck_options,
    durability: coatcheck_durability,
    interval_ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.durability = match durability {
            COATCHECK_DURABILITY_IMMEDIATE => Durability::Immediate,
            COATCHECK_DURABILITY_PERIODIC => Durability::Periodic(millis(interval_ms)),
            other => {
                return Err(Failure::invalid(format!(
                    "options_set_durability: invalid argument: {other} is not a COATCHECK_DURABILITY_* value"
                )))
            }
        };
        Ok(())
    })
}

/// Sets how many sessions the read cache holds (default 100000; 0 disables it).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_cache_capacity(
    options: *mut coatcheck_options,
    capacity: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.cache_capacity = capacity;
        Ok(())
    })
}

/// Sets the most live sessions a user may have; creating or logging in
/// beyond it evicts the least recently used. The default is 100, so that one
/// user cannot grow an unbounded list; 0 means no limit.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_max_sessions_per_user(
    options: *mut coatcheck_options,
    max: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.max_sessions_per_user = (max > 0).then_some(max);
        Ok(())
    })
}

/// Sets the largest a session's data and flash may be, encoded (default
/// 64 KiB).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_max_value_bytes(
    options: *mut coatcheck_options,
    bytes: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.max_value_bytes = bytes;
        Ok(())
    })
}

/// Sets how many random bytes a token has (default 32, at least 16).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_token_bytes(
    options: *mut coatcheck_options,
    bytes: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.token_bytes = bytes;
        Ok(())
    })
}

/// Sets a prefix for every token, such as `"cc_"`, so that secret scanners
/// can spot leaked ones (default none; at most 32 of `A-Z a-z 0-9 _ -`).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile;
/// `prefix` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_token_prefix(
    options: *mut coatcheck_options,
    prefix: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: `prefix` is NULL or NUL-terminated (this function's contract).
        o.config.token_prefix = unsafe { str_arg(prefix, "prefix") }?.to_owned();
        Ok(())
    })
}

/// Puts the creation time before the random part of new tokens (default false).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_token_timestamp(
    options: *mut coatcheck_options,
    enabled: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.token_timestamp = enabled;
        Ok(())
    })
}

/// Sets whether `coatcheck_store_login` gives the session a new token
/// (default true; OWASP: renew the session id on any privilege change).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_regenerate_on_login(
    options: *mut coatcheck_options,
    enabled: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.regenerate_on_login = enabled;
        Ok(())
    })
}

/// Sets whether an anonymous session whose data and flash become empty is
/// removed (default false).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_destroy_when_empty(
    options: *mut coatcheck_options,
    enabled: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.destroy_when_empty = enabled;
        Ok(())
    })
}

/// Sets the lifetime of access tokens from `coatcheck_store_issue_pair`
/// (default 15 minutes).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_access_ttl_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.access_ttl = millis(ms);
        Ok(())
    })
}

/// Sets the lifetime of refresh tokens (default 30 days).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_refresh_ttl_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.refresh_ttl = millis(ms);
        Ok(())
    })
}

/// Sets the window in which a spent refresh token presented again returns
/// the same new pair instead of reporting theft (default 10 s).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_refresh_grace_ms(
    options: *mut coatcheck_options,
    ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.refresh_grace = millis(ms);
        Ok(())
    })
}

/// Sets the HMAC key of access tokens (at least 32 bytes). NULL (with
/// `len` 0) restores the default: a random key per process, never written
/// to the store file.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile;
/// `key` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_access_key(
    options: *mut coatcheck_options,
    key: *const u8,
    len: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.access_key = if key.is_null() {
            if len != 0 {
                return Err(Failure::null("key"));
            }
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
            Some(unsafe { std::slice::from_raw_parts(key, len) }.to_vec())
        };
        Ok(())
    })
}

/// Sets shared mode (default false: exclusive). With `true`, the processes
/// of one machine (the workers of a prefork server, a cron job, an admin
/// tool) open the same file together: each process calls
/// `coatcheck_store_open` itself, after `fork()`, never using a store
/// inherited from its parent, and every read sees what any process committed
/// before it began. Every commit is durable in this mode, so
/// `COATCHECK_DURABILITY_PERIODIC` is refused at open
/// (`COATCHECK_INVALID_ARGUMENT`). With `false`, a second process opening the
/// file gets `COATCHECK_LOCKED`.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_shared(
    options: *mut coatcheck_options,
    shared: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.shared = shared;
        Ok(())
    })
}

/// For tests: the store reads time from a manual clock that starts at
/// `start_ms` (milliseconds since the Unix epoch) and moves only with
/// `coatcheck_store_advance_clock_ms`, so that expiry tests never sleep.
/// Stores opened from the same options share the clock.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_manual_clock_ms(
    options: *mut coatcheck_options,
    start_ms: i64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        let clock = ManualClock::starting_at(Timestamp::from_millis(start_ms));
        o.config = o.config.clone().clock(clock.clone());
        o.clock = Some(clock);
        Ok(())
    })
}

/// Adds an older access key (at least 32 bytes), accepted to verify access
/// tokens but never used to sign: to rotate, set the new key with
/// `coatcheck_options_set_access_key` and add the old one here until the
/// last token it signed has expired. Tokens name their key (`kid`).
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile;
/// `key` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_add_retired_access_key(
    options: *mut coatcheck_options,
    key: *const u8,
    len: usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        if key.is_null() {
            return Err(Failure::null("key"));
        }
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        let key = unsafe { std::slice::from_raw_parts(key, len) };
        if key.len() < 32 {
            return Err(Failure::invalid(format!(
                "options_add_retired_access_key: invalid argument: an access key must be at \
                 least 32 bytes, got {}",
                key.len()
            )));
        }
        o.config.retired_access_keys.push(key.to_vec());
        Ok(())
    })
}
