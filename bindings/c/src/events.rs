//! The session events hook: a C function pointer with user data.

use std::ffi::{c_char, c_void, CString};

use engine::SessionEvent;

use crate::ffi::handle_mut;
use crate::options::coatcheck_options;
use crate::status::coatcheck_status;

/// A session events hook: called with one event as a line of JSON (keys
/// `kind` — `created`, `login`, `rotated`, `ended`, `theft`, `evicted`,
/// `binding_mismatch` —, `id`, and where they apply `previous_id`, `user`,
/// `reason`) and the `user_data` given to `coatcheck_options_set_event_hook`.
/// It runs on a thread of coatcheck's, after the change is committed; the
/// JSON text lives only during the call. It never sees a token. A slow hook
/// does not stall the store: up to 4096 events wait, later ones are dropped.
pub type coatcheck_event_hook =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

/// The user data of a hook, handed back on coatcheck's events thread.
struct UserData(*mut c_void);

impl UserData {
    /// The pointer (a method, so that closures capture the whole wrapper).
    fn pointer(&self) -> *mut c_void {
        self.0
    }
}

// SAFETY: `coatcheck_options_set_event_hook`'s contract makes the caller
// guarantee that `user_data` may be used from any thread.
unsafe impl Send for UserData {}
// SAFETY: as above; coatcheck only passes the pointer back, never reads it.
unsafe impl Sync for UserData {}

/// Sets the store's session events hook (NULL `hook`: none). The hook is
/// told of every session created, signed in, rotated, ended (with the
/// reason), ended as stolen, evicted or ended on a binding mismatch — the
/// base for audit logs and metrics.
///
/// # Safety
/// `options` is NULL or a live handle, not used by another thread meanwhile.
/// `hook`, if not NULL, may be called from another thread until every store
/// opened with these options is closed; `user_data` must stay valid (and be
/// usable from that thread) as long.
#[no_mangle]
pub unsafe extern "C" fn coatcheck_options_set_event_hook(
    options: *mut coatcheck_options,
    hook: coatcheck_event_hook,
    user_data: *mut c_void,
) -> coatcheck_status {
    ffi_boundary!({
        // SAFETY: `options` is NULL or a live handle that no other thread uses
        // meanwhile (this function's contract).
        let o = unsafe { handle_mut(options, "options") }?;
        o.config.on_event = hook.map(|hook| {
            let data = UserData(user_data);
            engine::EventHook::new(move |event: &SessionEvent| {
                let json = CString::new(event.to_json()).unwrap_or_default();
                // SAFETY: the caller of coatcheck_options_set_event_hook
                // guarantees that `hook` and `user_data` stay callable and
                // valid from this thread while the store is open; `json`
                // lives until the call returns.
                unsafe { hook(json.as_ptr(), data.pointer()) };
            })
        });
        Ok(())
    })
}
