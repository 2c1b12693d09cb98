//! The at-fork hook: a store opened before `fork()` refuses every call in
//! the child at once, even reads it could serve from memory.
//!
//! The core checks the process id on every storage transaction anyway; the
//! hook closes the remaining gap (cached reads) by bumping the core's fork
//! generation in the child, through `pthread_atfork`.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Runs in the child right after `fork()`: only bumps an atomic counter,
/// which is async-signal-safe, as a child-side at-fork handler must be.
extern "C" fn in_forked_child() {
    engine::fork::forked_child();
}

/// Installs the hook, once per process (called by every store open).
pub(crate) fn install_hook() {
    INSTALL.call_once(|| {
        // SAFETY: `pthread_atfork` only records the three handler pointers;
        // the child handler is a plain `extern "C"` function with no
        // arguments that cannot unwind (it bumps an atomic), and the other
        // two are absent.
        let _ = unsafe { libc::pthread_atfork(None, None, Some(in_forked_child)) };
    });
}
