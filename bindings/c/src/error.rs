//! Failures of a call, and the thread-local "last error" that C reads.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CString};

use crate::status::*;

/// Why a call failed: the status C gets, and the message it can read.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: coatcheck_status,
    message: String,
    reason: Option<&'static str>,
}

impl Failure {
    /// `COATCHECK_INVALID_ARGUMENT` with `message`.
    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            status: COATCHECK_INVALID_ARGUMENT,
            message: message.into(),
            reason: None,
        }
    }

    /// A NULL pointer where one was required.
    pub(crate) fn null(name: &str) -> Failure {
        Failure::invalid(format!("invalid argument: {name} is NULL"))
    }

    /// A core error, with `op` put in front when the core did not name the
    /// operation (errors of JSON parsing, for example).
    pub(crate) fn core(error: engine::Error, op: &str) -> Failure {
        let unnamed = error.operation().is_empty();
        let mut failure = Failure::from(error);
        if unnamed {
            failure.message = format!("{op}: {}", failure.message);
        }
        failure
    }

    /// A caught panic.
    pub(crate) fn panic(payload: Box<dyn Any + Send>) -> Failure {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Failure {
            status: COATCHECK_INTERNAL,
            message: format!("internal error (a bug in coatcheck, please report it): {what}"),
            reason: None,
        }
    }

    /// Records the failure as this thread's last error; returns its status.
    pub(crate) fn report(self) -> coatcheck_status {
        let status = self.status;
        let message = CString::new(self.message.replace('\0', "\\0"))
            .unwrap_or_else(|_| CString::from(c"error message unavailable"));
        let reason = self.reason.and_then(|r| CString::new(r).ok());
        LAST_ERROR.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                last.message = message;
                last.reason = reason;
            }
        });
        status
    }
}

impl From<engine::Error> for Failure {
    fn from(error: engine::Error) -> Failure {
        Failure {
            status: status_of(error.kind()),
            message: error.to_string(),
            reason: error.end_reason().map(|r| r.name()),
        }
    }
}

struct LastError {
    message: CString,
    reason: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError {
        message: CString::default(),
        reason: None,
    });
}

/// The message of the last call on this thread that failed, such as
/// `"get: the session expired at 2026-11-29T11:42:05.123Z"`; `""` if none
/// has failed. Messages name the operation and the reason, never a token.
///
/// A failing call sets it; a successful call leaves it as it was (like
/// `errno`). The pointer stays valid until the next failing coatcheck call
/// on this thread. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn coatcheck_last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|last| match last.try_borrow() {
            Ok(last) => last.message.as_ptr(),
            Err(_) => c"".as_ptr(),
        })
        .unwrap_or(c"".as_ptr())
}

/// Why the session of the last failing call on this thread ended, when that
/// call failed with `COATCHECK_REVOKED`: `"logout"`, `"logout_everywhere"`,
/// `"evicted"`, `"theft"`, `"rotated"` or `"admin"`. NULL otherwise.
///
/// Valid until the next failing coatcheck call on this thread; never free it.
#[no_mangle]
pub extern "C" fn coatcheck_last_error_reason() -> *const c_char {
    LAST_ERROR
        .try_with(|last| match last.try_borrow() {
            Ok(last) => last
                .reason
                .as_ref()
                .map_or(std::ptr::null(), |r| r.as_ptr()),
            Err(_) => std::ptr::null(),
        })
        .unwrap_or(std::ptr::null())
}
