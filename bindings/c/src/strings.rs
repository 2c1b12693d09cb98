//! Strings coatcheck hands out, and the library's version.

use std::ffi::{c_char, CString};

use crate::ffi::run_quietly;

/// The ABI version of this header. It changes only when a change breaks
/// programs compiled against an older header (a function removed, a
/// signature changed); adding functions or constants keeps it. Compare it
/// with `coatcheck_abi_version()` at start-up to catch a mismatched library.
pub const COATCHECK_ABI_VERSION: u32 = 1;

/// Frees a string that coatcheck returned through a `char **` out-parameter.
/// NULL is a no-op.
///
/// # Safety
/// `string` is NULL or a string returned by coatcheck that was not freed yet.
/// Never pass the result of `coatcheck_last_error_message`,
/// `coatcheck_last_error_reason`, `coatcheck_status_name` or
/// `coatcheck_version` (they are not owned by the caller).
#[no_mangle]
pub unsafe extern "C" fn coatcheck_string_free(string: *mut c_char) {
    if string.is_null() {
        return;
    }
    run_quietly(|| {
        // SAFETY: the caller guarantees `string` came from CString::into_raw
        // in this library and is freed once.
        drop(unsafe { CString::from_raw(string) });
    });
}

/// The library's version, such as `"0.1.0"`. Static; never free it.
#[no_mangle]
pub extern "C" fn coatcheck_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the library that is linked; compare it with
/// `COATCHECK_ABI_VERSION` from the header you compiled against.
#[no_mangle]
pub extern "C" fn coatcheck_abi_version() -> u32 {
    COATCHECK_ABI_VERSION
}
