//! Fork safety: a `Store` belongs to the process that opened it.
//!
//! A redb handle inherited through `fork()` (gunicorn `--preload`, uWSGI
//! without lazy-apps) and used by several processes acknowledges commits it
//! then loses, and corrupts the file. So a store refuses every call in a
//! forked child, with an error that says to open the store in the worker.
//!
//! Two checks guard it. Every call compares a fork generation (one atomic
//! load), which the C and Python faces bump from their at-fork hooks
//! (`pthread_atfork`, `os.register_at_fork`) through [`forked_child`].
//! And every storage transaction compares the process id (a system call,
//! cheap next to a transaction), which catches a fork in a pure Rust
//! program too, before the file is touched.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Call in the child process right after `fork()`: every store opened
/// before the fork then refuses calls at once (even reads served from
/// memory). The C and Python faces install this as an at-fork hook.
pub fn forked_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The current fork generation.
pub(crate) fn generation() -> u64 {
    FORK_GENERATION.load(Ordering::Relaxed)
}

/// The error of a call on a store inherited through `fork()`.
pub(crate) fn inherited(owner_pid: u32) -> Error {
    Error::storage(format!(
        "this Store was opened by process {owner_pid} and inherited through fork(); \
         a forked handle must never touch the file: open the store in the worker \
         process (for example lazily, on first use)"
    ))
}

/// Whether this process is the one that opened the store.
pub(crate) fn is_owner(owner_pid: u32) -> bool {
    std::process::id() == owner_pid
}
