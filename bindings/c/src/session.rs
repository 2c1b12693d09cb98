//! Sessions as C sees them: an opaque snapshot with accessors, lists of
//! sessions and of strings, and the options of `coatcheck_store_create`.

use std::ffi::c_char;

use engine::{data_from_json_str, data_to_json, Lifetime, NewSession, Session};

use crate::error::Failure;
use crate::ffi::{
    c_string, free_handle, handle, handle_mut, into_handle, millis, opt_c_string, opt_str_arg,
    out_ptr, run_quietly, str_arg,
};
use crate::status::coatcheck_status;

/// A session (an opaque handle): a snapshot taken by the call that returned
/// it, read with the `coatcheck_session_*` accessors and freed with
/// `coatcheck_session_free`. It does not change when the store does.
pub struct coatcheck_session {
    pub(crate) session: Session,
}

/// A list of sessions (an opaque handle) from `coatcheck_store_sessions_of`;
/// freed with `coatcheck_session_list_free`.
pub struct coatcheck_session_list {
    pub(crate) items: Vec<coatcheck_session>,
}

/// A list of strings (an opaque handle) from `coatcheck_store_users`; freed
/// with `coatcheck_string_list_free`.
pub struct coatcheck_string_list {
    pub(crate) items: Vec<String>,
}

/// What to create a session with (an opaque handle): made by
/// `coatcheck_create_options_new` (an anonymous session with no data),
/// changed with the `coatcheck_create_options_set_*` setters, freed with
/// `coatcheck_create_options_free`.
pub struct coatcheck_create_options {
    pub(crate) new: NewSession,
}

/// Frees a session. NULL is a no-op.
///
/// # Safety
/// `session` is NULL or a handle returned by coatcheck, not freed yet, and
/// not one borrowed from a list (`coatcheck_session_list_get`).
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_free(session: *mut coatcheck_session) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(session) });
}

/// Writes the session's public id (64 lowercase hex digits: the SHA-256 of
/// its token) to `*out`; free it with `coatcheck_string_free`.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_id(
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        *out = c_string(&s.session.id().to_string(), "id")?;
        Ok(())
    })
}

/// Writes the session's token to `*out` (free it with
/// `coatcheck_string_free`), or NULL when the session carries none: only
/// sessions returned by `create`, `regenerate` and `login` do, the one
/// moment the token exists in plain text.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_token(
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        *out = opt_c_string(s.session.token(), "token")?;
        Ok(())
    })
}

/// Writes the session's user id to `*out` (free it with
/// `coatcheck_string_free`), or NULL for an anonymous session.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_user(
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        *out = opt_c_string(s.session.user(), "user")?;
        Ok(())
    })
}

/// Writes all of the session's data as one JSON object to `*out`; free it
/// with `coatcheck_string_free`. Bytes appear as `{"$bytes": "<base64url>"}`.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_data_json(
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        *out = c_string(&data_to_json(s.session.data()).to_string(), "data")?;
        Ok(())
    })
}

/// Writes the value of `key` as JSON text to `*out` (free it with
/// `coatcheck_string_free`), or NULL when the session has no such key.
///
/// # Safety
/// `session` is NULL or a live session handle; `key` is NULL or a
/// NUL-terminated string; `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_get_json(
    session: *const coatcheck_session,
    key: *const c_char,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        // SAFETY: `key` is NULL or NUL-terminated (this function's contract).
        let key = unsafe { str_arg(key, "key") }?;
        if let Some(value) = s.session.get(key) {
            *out = c_string(&value.to_json().to_string(), "value")?;
        }
        Ok(())
    })
}

/// Reads one plain field of a session into `*out`.
///
/// # Safety
/// `session` is NULL or live; `out` is NULL or valid for writing a `T`.
unsafe fn field<T: Copy>(
    session: *const coatcheck_session,
    out: *mut T,
    reset: T,
    read: impl FnOnce(&Session) -> T,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out", reset) }?;
        // SAFETY: `session` is NULL or live (the caller's contract).
        let s = unsafe { handle(session, "session") }?;
        *out = read(&s.session);
        Ok(())
    })
}

/// Writes when the session was created (milliseconds since the Unix epoch, UTC).
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_created_at_ms(
    session: *const coatcheck_session,
    out: *mut i64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, |s| s.created_at().as_millis()) }
}

/// Writes when the session was last used (milliseconds since the Unix epoch).
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_last_access_ms(
    session: *const coatcheck_session,
    out: *mut i64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, |s| s.last_access().as_millis()) }
}

/// Writes when the session's data, flash or user last changed
/// (milliseconds since the Unix epoch).
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_last_update_ms(
    session: *const coatcheck_session,
    out: *mut i64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, |s| s.last_update().as_millis()) }
}

/// Writes when the session expires if it is not used again (milliseconds
/// since the Unix epoch).
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_expires_at_ms(
    session: *const coatcheck_session,
    out: *mut i64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, |s| s.expires_at().as_millis()) }
}

/// Writes whether this is a "keep me signed in" session.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_remember(
    session: *const coatcheck_session,
    out: *mut bool,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, false, Session::remember) }
}

/// Writes the session's version: it increases by one on every change of
/// data, flash or user (use it with `coatcheck_store_replace_if_json`).
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_version(
    session: *const coatcheck_session,
    out: *mut u64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, Session::version) }
}

/// Writes how many flash values wait for `coatcheck_store_take_flash_json`.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_pending_flash(
    session: *const coatcheck_session,
    out: *mut usize,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(session, out, 0, Session::pending_flash) }
}

/// Writes the idle timeout in force for this session, in milliseconds.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_idle_timeout_ms(
    session: *const coatcheck_session,
    out: *mut u64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        field(session, out, 0, |s| {
            u64::try_from(s.lifetime().idle.as_millis()).unwrap_or(u64::MAX)
        })
    }
}

/// Writes the absolute timeout in force for this session, in milliseconds.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_absolute_timeout_ms(
    session: *const coatcheck_session,
    out: *mut u64,
) -> coatcheck_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        field(session, out, 0, |s| {
            u64::try_from(s.lifetime().absolute.as_millis()).unwrap_or(u64::MAX)
        })
    }
}

/// Writes the session's meta as a JSON object `{"ip": …, "user_agent": …,
/// "label": …}` (each a string or null) to `*out`; free it with
/// `coatcheck_string_free`.
///
/// # Safety
/// `session` is NULL or a live session handle; `out` is NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_meta_json(
    session: *const coatcheck_session,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `session` is NULL or live (this function's contract).
        let s = unsafe { handle(session, "session") }?;
        let meta = s.session.meta();
        let json = serde_json::json!({
            "ip": meta.ip,
            "user_agent": meta.user_agent,
            "label": meta.label,
        });
        *out = c_string(&json.to_string(), "meta")?;
        Ok(())
    })
}

/// Writes how many sessions the list holds.
///
/// # Safety
/// `list` is NULL or a live list handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_list_len(
    list: *const coatcheck_session_list,
    out: *mut usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `list` is NULL or live (this function's contract).
        *out = unsafe { handle(list, "list") }?.items.len();
        Ok(())
    })
}

/// Writes a borrowed pointer to the session at `index` (0-based) to `*out`.
/// It lives as long as the list: read it with the `coatcheck_session_*`
/// accessors, never free it. An index past the end is
/// `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `list` is NULL or a live list handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_list_get(
    list: *const coatcheck_session_list,
    index: usize,
    out: *mut *const coatcheck_session,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null()) }?;
        // SAFETY: `list` is NULL or live (this function's contract).
        let list = unsafe { handle(list, "list") }?;
        let item = list.items.get(index).ok_or_else(|| {
            Failure::invalid(format!(
                "session_list_get: invalid argument: index {index} is past the end of a list of {}",
                list.items.len()
            ))
        })?;
        *out = item;
        Ok(())
    })
}

/// Frees a list of sessions, and the sessions borrowed from it. NULL is a
/// no-op.
///
/// # Safety
/// `list` is NULL or a list handle not freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_session_list_free(list: *mut coatcheck_session_list) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(list) });
}

/// Writes how many strings the list holds.
///
/// # Safety
/// `list` is NULL or a live list handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_string_list_len(
    list: *const coatcheck_string_list,
    out: *mut usize,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", 0) }?;
        // SAFETY: `list` is NULL or live (this function's contract).
        *out = unsafe { handle(list, "list") }?.items.len();
        Ok(())
    })
}

/// Writes a copy of the string at `index` (0-based) to `*out`; free it with
/// `coatcheck_string_free`. An index past the end is
/// `COATCHECK_INVALID_ARGUMENT`.
///
/// # Safety
/// `list` is NULL or a live list handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_string_list_get(
    list: *const coatcheck_string_list,
    index: usize,
    out: *mut *mut c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        // SAFETY: `list` is NULL or live (this function's contract).
        let list = unsafe { handle(list, "list") }?;
        let item = list.items.get(index).ok_or_else(|| {
            Failure::invalid(format!(
                "string_list_get: invalid argument: index {index} is past the end of a list of {}",
                list.items.len()
            ))
        })?;
        *out = c_string(item, "item")?;
        Ok(())
    })
}

/// Frees a list of strings. NULL is a no-op.
///
/// # Safety
/// `list` is NULL or a list handle not freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_string_list_free(list: *mut coatcheck_string_list) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(list) });
}

/// Makes create options: an anonymous session with no data, the configured
/// lifetime, no meta.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer. On success `*out` is a new
/// handle, to be freed with `coatcheck_create_options_free`.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_new(
    out: *mut *mut coatcheck_create_options,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out", std::ptr::null_mut()) }?;
        *out = into_handle(coatcheck_create_options {
            new: NewSession::default(),
        });
        Ok(())
    })
}

/// Frees create options. NULL is a no-op.
///
/// # Safety
/// `options` is NULL or a handle from `coatcheck_create_options_new` not
/// freed yet.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_free(options: *mut coatcheck_create_options) {
    // SAFETY: forwarded from this function's contract.
    run_quietly(|| unsafe { free_handle(options) });
}

/// Sets the user of the new session; NULL makes it anonymous again.
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread meanwhile;
/// `user` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_set_user(
    options: *mut coatcheck_create_options,
    user: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or live and unshared (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: `user` is NULL or NUL-terminated (this function's contract).
        o.new.user = unsafe { opt_str_arg(user, "user") }?.map(str::to_owned);
        Ok(())
    })
}

/// Sets the whole initial data from a JSON object, such as
/// `{"cart": ["tea"]}`. Invalid JSON, or JSON that is not an object, is
/// `COATCHECK_INVALID_ARGUMENT` here; an empty key (or one longer than 256
/// bytes) is refused by `coatcheck_store_create`
/// (`COATCHECK_INVALID_ARGUMENT`, nothing created).
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread meanwhile;
/// `data_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_set_data_json(
    options: *mut coatcheck_create_options,
    data_json: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or live and unshared (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: `data_json` is NULL or NUL-terminated (this function's contract).
        let text = unsafe { str_arg(data_json, "data_json") }?;
        o.new.data = data_from_json_str(text)
            .map_err(|e| Failure::core(e, "create_options_set_data_json"))?;
        Ok(())
    })
}

/// Sets "keep me signed in": the session uses the long (remember) lifetime.
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_set_remember(
    options: *mut coatcheck_create_options,
    remember: bool,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or live and unshared (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.new.remember = remember;
        Ok(())
    })
}

/// Gives the new session a lifetime of its own: `idle_ms` of inactivity and
/// `absolute_ms` in total (checked at create).
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread meanwhile.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_set_lifetime_ms(
    options: *mut coatcheck_create_options,
    idle_ms: u64,
    absolute_ms: u64,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or live and unshared (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.new.lifetime = Some(Lifetime::new(millis(idle_ms), millis(absolute_ms)));
        Ok(())
    })
}

/// Sets the meta of the new session: the client's IP address, its
/// `User-Agent`, and a free-form label (a device name). Each may be NULL.
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread meanwhile;
/// `ip`, `user_agent` and `label` are each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_create_options_set_meta(
    options: *mut coatcheck_create_options,
    ip: *const c_char,
    user_agent: *const c_char,
    label: *const c_char,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or live and unshared (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: each string is NULL or NUL-terminated (this function's contract).
        let (ip, user_agent, label) = unsafe {
            (
                opt_str_arg(ip, "ip")?,
                opt_str_arg(user_agent, "user_agent")?,
                opt_str_arg(label, "label")?,
            )
        };
        o.new.meta.ip = ip.map(str::to_owned);
        o.new.meta.user_agent = user_agent.map(str::to_owned);
        o.new.meta.label = label.map(str::to_owned);
        Ok(())
    })
}
