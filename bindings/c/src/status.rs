//! Status codes: one per error kind of the core, plus OK and INTERNAL.

use std::ffi::c_char;

use engine::ErrorKind;

/// The result of every coatcheck call that can fail: `COATCHECK_OK` (0) or
/// one of the `COATCHECK_*` error codes. The numbers are fixed and never
/// reused; new codes may be added, so treat an unknown one as an error.
pub type coatcheck_status = i32;

/// Success.
pub const COATCHECK_OK: coatcheck_status = 0;
/// No session (or record) exists under that token or id.
pub const COATCHECK_NOT_FOUND: coatcheck_status = 1;
/// The session existed but its lifetime ran out (a kind of not found).
pub const COATCHECK_EXPIRED: coatcheck_status = 2;
/// The session was ended on purpose (a kind of not found);
/// `coatcheck_last_error_reason()` says why.
pub const COATCHECK_REVOKED: coatcheck_status = 3;
/// A spent refresh token was presented again: the session was revoked.
pub const COATCHECK_TOKEN_REUSE: coatcheck_status = 4;
/// An optimistic write found that the session's version had moved.
pub const COATCHECK_CONFLICT: coatcheck_status = 5;
/// The token is malformed (empty, too long, wrong alphabet or prefix).
pub const COATCHECK_INVALID_TOKEN: coatcheck_status = 6;
/// An argument is NULL, not UTF-8, not valid JSON, or out of range.
pub const COATCHECK_INVALID_ARGUMENT: coatcheck_status = 7;
/// The store file is open in another store (in this or another process).
pub const COATCHECK_LOCKED: coatcheck_status = 8;
/// The file is not a coatcheck store, is from a newer version, or is damaged.
pub const COATCHECK_CORRUPT: coatcheck_status = 9;
/// The operating system refused a file operation.
pub const COATCHECK_IO: coatcheck_status = 10;
/// The storage engine failed, or the store is closed or was inherited
/// through `fork()`.
pub const COATCHECK_STORAGE: coatcheck_status = 11;
/// A bug in coatcheck (a caught panic) or an error kind this version of the
/// C face does not know yet.
pub const COATCHECK_INTERNAL: coatcheck_status = 12;
/// The access token's own lifetime ran out (its `exp` passed): call
/// `coatcheck_store_refresh` with the refresh token; do not sign the user
/// out, the session may well live on. Not a kind of not found.
pub const COATCHECK_ACCESS_EXPIRED: coatcheck_status = 13;

/// The status of a core error kind.
pub(crate) fn status_of(kind: ErrorKind) -> coatcheck_status {
    match kind {
        ErrorKind::NotFound => COATCHECK_NOT_FOUND,
        ErrorKind::Expired => COATCHECK_EXPIRED,
        ErrorKind::Revoked => COATCHECK_REVOKED,
        ErrorKind::TokenReuse => COATCHECK_TOKEN_REUSE,
        ErrorKind::Conflict => COATCHECK_CONFLICT,
        ErrorKind::InvalidToken => COATCHECK_INVALID_TOKEN,
        ErrorKind::InvalidArgument => COATCHECK_INVALID_ARGUMENT,
        ErrorKind::Locked => COATCHECK_LOCKED,
        ErrorKind::Corrupt => COATCHECK_CORRUPT,
        ErrorKind::Io => COATCHECK_IO,
        ErrorKind::Storage => COATCHECK_STORAGE,
        ErrorKind::AccessExpired => COATCHECK_ACCESS_EXPIRED,
        _ => COATCHECK_INTERNAL,
    }
}

/// The name of a status as a static string: `"COATCHECK_OK"`,
/// `"COATCHECK_NOT_FOUND"`, … and `"COATCHECK_UNKNOWN"` for a number that is
/// not a status. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn coatcheck_status_name(status: coatcheck_status) -> *const c_char {
    let name: &'static [u8] = match status {
        COATCHECK_OK => b"COATCHECK_OK\0",
        COATCHECK_NOT_FOUND => b"COATCHECK_NOT_FOUND\0",
        COATCHECK_EXPIRED => b"COATCHECK_EXPIRED\0",
        COATCHECK_REVOKED => b"COATCHECK_REVOKED\0",
        COATCHECK_TOKEN_REUSE => b"COATCHECK_TOKEN_REUSE\0",
        COATCHECK_CONFLICT => b"COATCHECK_CONFLICT\0",
        COATCHECK_INVALID_TOKEN => b"COATCHECK_INVALID_TOKEN\0",
        COATCHECK_INVALID_ARGUMENT => b"COATCHECK_INVALID_ARGUMENT\0",
        COATCHECK_LOCKED => b"COATCHECK_LOCKED\0",
        COATCHECK_CORRUPT => b"COATCHECK_CORRUPT\0",
        COATCHECK_IO => b"COATCHECK_IO\0",
        COATCHECK_STORAGE => b"COATCHECK_STORAGE\0",
        COATCHECK_INTERNAL => b"COATCHECK_INTERNAL\0",
        COATCHECK_ACCESS_EXPIRED => b"COATCHECK_ACCESS_EXPIRED\0",
        _ => b"COATCHECK_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

/// True for `COATCHECK_NOT_FOUND`, `COATCHECK_EXPIRED` and
/// `COATCHECK_REVOKED`: the session is not there, whatever the reason.
#[no_mangle]
pub extern "C" fn coatcheck_status_is_not_found(status: coatcheck_status) -> bool {
    matches!(
        status,
        COATCHECK_NOT_FOUND | COATCHECK_EXPIRED | COATCHECK_REVOKED
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_status_has_a_distinct_name() {
        let mut names = std::collections::HashSet::new();
        for status in COATCHECK_OK..=COATCHECK_ACCESS_EXPIRED {
            // SAFETY: coatcheck_status_name returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(coatcheck_status_name(status)) };
            assert!(names.insert(name.to_str().unwrap().to_owned()));
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(coatcheck_status_name(999)) };
        assert_eq!(unknown.to_str().unwrap(), "COATCHECK_UNKNOWN");
    }
}
