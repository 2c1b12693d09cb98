//! Care of a store file: the integrity check and the repair.

use std::ffi::c_char;

use engine::Store;

use crate::ffi::{c_string, handle, out_ptr, str_arg};
use crate::options::coatcheck_options;
use crate::status::coatcheck_status;
use crate::store::{coatcheck_store, config_of};

/// Walks every record and index of the store, changing nothing, and writes
/// a JSON report to `*out`: `{"sessions", "ended", "refresh_tokens",
/// "damaged_records", "problems": [sentences]}`; the file is sound when
/// `problems` is empty. Problems name session ids, never tokens. Free the
/// report with `coatcheck_string_free`.
///
/// # Safety
/// `store` is NULL or a live store handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_check_json(
    store: *const coatcheck_store,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `store` is NULL or live (this function's contract).
        let report = unsafe { handle(store, "store") }?.store.check()?;
        *out = c_string(&report.to_json(), "check report")?;
        Ok(())
    })
}

/// Repairs the store file at `path`, which no process may have open: if
/// the file opens and is sound, nothing changes; otherwise every intact
/// session is salvaged into a new file that takes its place, and the
/// original is kept beside it as `<path>.damaged-<unix ms>`. Writes a JSON
/// report to `*out`: `{"was_sound", "salvaged", "skipped",
/// "damaged_copy"}`. Refresh tokens are not salvaged. See the README's
/// "Damaged files" section for the whole procedure.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `options` is NULL or a live
/// options handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_store_repair(
    path: *const c_char,
    options: *const coatcheck_options,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `path` is NULL or NUL-terminated (this function's contract).
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: `options` is NULL or live (this function's contract).
        let (config, _) = unsafe { config_of(options) };
        let report = Store::repair(path, config)?;
        *out = c_string(&report.to_json(), "repair report")?;
        Ok(())
    })
}
