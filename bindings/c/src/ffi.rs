//! What every exported function is made of: the panic boundary, argument
//! checks, and conversions of results. Exported functions read: check
//! arguments → call the core → convert the result.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::error::Failure;
use crate::status::{coatcheck_status, COATCHECK_OK};

/// Runs the body of an exported function: `?` works inside, an error becomes
/// its status (and this thread's last error), and a panic is caught and
/// becomes `COATCHECK_INTERNAL`. The block must end with `Ok(())`.
macro_rules! ffi_boundary {
    ($body:block) => {
        $crate::ffi::run(|| -> ::std::result::Result<(), $crate::error::Failure> { $body })
    };
}

/// The function behind [`ffi_boundary!`].
#[inline]
pub(crate) fn run(body: impl FnOnce() -> Result<(), Failure>) -> coatcheck_status {
    // AssertUnwindSafe: after a panic the only thing we touch is the
    // thread-local last error; the store's own locks do not poison.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => COATCHECK_OK,
        Ok(Err(failure)) => failure.report(),
        Err(payload) => Failure::panic(payload).report(),
    }
}

/// Runs a destructor body: a panic is caught (and dropped), never unwound
/// into C.
#[inline]
pub(crate) fn run_quietly(body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        let _ = Failure::panic(payload).report();
    }
}

/// A shared reference to a handle, or `InvalidArgument` if it is NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nobody mutates for `'a`.
#[inline]
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` points to a live T.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// A mutable reference to a handle, or `InvalidArgument` if it is NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nobody else uses for `'a`.
#[inline]
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` points to a live T
    // used by nobody else meanwhile.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// An out-parameter, reset to `reset` at once; `InvalidArgument` if NULL.
///
/// # Safety
/// `ptr` is NULL or valid for writing a `T`.
#[inline]
pub(crate) unsafe fn out_ptr<'a, T>(
    ptr: *mut T,
    name: &str,
    reset: T,
) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` is valid for writes.
    match unsafe { ptr.as_mut() } {
        Some(out) => {
            *out = reset;
            Ok(out)
        }
        None => Err(Failure::null(name)),
    }
}

/// An optional out-parameter (NULL means "not wanted"), reset to `reset`.
///
/// # Safety
/// `ptr` is NULL or valid for writing a `T`.
#[inline]
pub(crate) unsafe fn opt_out_ptr<'a, T>(ptr: *mut T, reset: T) -> Option<&'a mut T> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` is valid for writes.
    let out = unsafe { ptr.as_mut() }?;
    *out = reset;
    Some(out)
}

/// A NUL-terminated UTF-8 argument; `InvalidArgument` if NULL or not UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
#[inline]
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|e| {
        Failure::invalid(format!(
            "invalid argument: {name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// A request header as C servers get it (`getenv("HTTP_COOKIE")`): NULL is
/// `None` (no header), and bytes that are not UTF-8 become U+FFFD, so that
/// one odd byte in another cookie does not hide the session cookie (a
/// token with such a byte is malformed anyway).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
#[inline]
pub(crate) unsafe fn header_arg<'a>(ptr: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(text.to_string_lossy())
}

/// Like [`str_arg`], but NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
#[inline]
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(ptr, name) }.map(Some)
}

/// A string for C, owned by the caller and freed with `coatcheck_string_free`.
pub(crate) fn c_string(text: &str, name: &str) -> Result<*mut c_char, Failure> {
    CString::new(text).map(CString::into_raw).map_err(|_| {
        Failure::invalid(format!(
            "invalid argument: {name} contains a NUL byte and cannot be returned as a C string"
        ))
    })
}

/// Like [`c_string`], but `None` is NULL.
pub(crate) fn opt_c_string(text: Option<&str>, name: &str) -> Result<*mut c_char, Failure> {
    text.map_or(Ok(std::ptr::null_mut()), |t| c_string(t, name))
}

/// A handle for C, owned by the caller and freed with its `_free`.
#[inline]
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] and was not freed yet.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees `ptr` came from Box::into_raw and is
        // freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Milliseconds as a duration.
#[inline]
pub(crate) fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::coatcheck_last_error_message;
    use crate::status::*;

    #[test]
    fn a_panic_becomes_internal_and_leaves_a_message() {
        let status = ffi_boundary!({
            if COATCHECK_OK == 0 {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(status, COATCHECK_INTERNAL);
        // SAFETY: the last error message is a valid NUL-terminated string.
        let message = unsafe { CStr::from_ptr(coatcheck_last_error_message()) };
        assert!(message.to_str().unwrap().contains("boom"));
    }

    #[test]
    fn bad_utf8_is_an_invalid_argument() {
        let bytes = b"caf\xe9\0";
        // SAFETY: a NUL-terminated byte string that lives for the test.
        let err = unsafe { str_arg(bytes.as_ptr().cast(), "key") }.unwrap_err();
        assert_eq!(err.status, COATCHECK_INVALID_ARGUMENT);
    }
}
