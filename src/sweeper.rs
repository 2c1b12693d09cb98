//! Removing what has expired: the sweep itself, and the background thread
//! that runs it (and the periodic flush) on a timer.
//!
//! A sweep reads the expiry index, never the whole table, and works in
//! batches of `sweep_batch` records, one short transaction each, so readers
//! (which never wait for writers) and writers (which queue behind a batch
//! for a few milliseconds at most) are not stalled. Before removing a
//! session it checks the last access kept in memory: a session used within
//! its idle timeout is never swept, it is re-indexed with its true expiry.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::sync::{Condvar, Mutex};

use crate::error::Result;
use crate::record::{LiveRecord, Record};
use crate::storage::{Due, WriteView};
use crate::store::Inner;

/// One batch of a sweep: (sessions removed, whether more may be due).
pub(crate) fn sweep_batch(inner: &Inner, view: &mut dyn WriteView) -> Result<(usize, bool)> {
    let now = inner.now();
    let limit = inner.config.sweep_batch;
    let due = view.due(Due::Live, now, limit)?;
    let mut removed = 0;
    for id in &due {
        let record = view.get(id)?;
        let Some(Record::Live(live)) = record.as_ref() else {
            continue;
        };
        let (last_access, expires_at) = inner.effective(id, live);
        if expires_at <= now {
            view.delete(id)?;
            inner.touches.forget(id);
            removed += 1;
        } else {
            // Used since it was written (or the lifetime changed): keep it,
            // indexed under its true expiry.
            let mut next = LiveRecord::clone(live);
            next.last_access = last_access;
            next.expires_at = expires_at;
            view.put(*id, Record::Live(Arc::new(next)))?;
            inner.touches.persisted(id, last_access);
        }
    }
    let ended = view.due(Due::Ended, now, limit)?;
    for id in &ended {
        view.delete(id)?;
    }
    let refresh = view.sweep_refresh(now, limit)?;
    let more = due.len() >= limit || ended.len() >= limit || refresh >= limit;
    Ok((removed, more))
}

/// Numbers the housekeepers of this process (0: none).
static NEXT_KEEPER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The number of the housekeeper whose thread this is (0: none). A plain
    /// `Cell`, not `thread::current()`: that handle is allocated on first use
    /// and kept for the life of a C caller's thread, which valgrind reports.
    static KEEPER_OF_THIS_THREAD: Cell<u64> = const { Cell::new(0) };
}

struct Signal {
    stop: Mutex<bool>,
    wake: Condvar,
}

/// The background thread of a store: sweeps every `sweep_interval`, and
/// flushes non-durable commits every flush interval. It holds only a weak
/// reference, so dropping the last `Store` stops it.
pub(crate) struct Housekeeper {
    number: u64,
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Housekeeper {
    pub(crate) fn start(
        inner: Weak<Inner>,
        sweep_every: Option<Duration>,
        flush_every: Option<Duration>,
    ) -> Housekeeper {
        let signal = Arc::new(Signal {
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let theirs = signal.clone();
        let number = NEXT_KEEPER.fetch_add(1, Ordering::Relaxed);
        let thread = std::thread::Builder::new()
            .name("coatcheck-sweeper".into())
            .spawn(move || {
                KEEPER_OF_THIS_THREAD.with(|keeper| keeper.set(number));
                run(inner, theirs, sweep_every, flush_every)
            })
            .ok();
        Housekeeper {
            number,
            signal,
            thread,
        }
    }

    /// Stops the thread and waits for it (unless called from it).
    pub(crate) fn stop(mut self) {
        *self.signal.stop.lock() = true;
        self.signal.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            if KEEPER_OF_THIS_THREAD.with(Cell::get) != self.number {
                let _ = thread.join();
            }
        }
    }
}

fn run(
    inner: Weak<Inner>,
    signal: Arc<Signal>,
    sweep_every: Option<Duration>,
    flush_every: Option<Duration>,
) {
    let start = Instant::now();
    let mut next_sweep = sweep_every.map(|d| start + d);
    let mut next_flush = flush_every.map(|d| start + d.max(Duration::from_millis(1)));
    loop {
        let deadline = match (next_sweep, next_flush) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return,
        };
        {
            let mut stop = signal.stop.lock();
            while !*stop && Instant::now() < deadline {
                stop = signal.wake.wait_until(stop, deadline);
            }
            if *stop {
                return;
            }
        }
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let now = Instant::now();
        if let (Some(at), Some(every)) = (next_sweep, sweep_every) {
            if now >= at {
                inner.background_sweep();
                next_sweep = Some(Instant::now() + every);
            }
        }
        if let (Some(at), Some(every)) = (next_flush, flush_every) {
            if now >= at {
                inner.background_flush();
                next_flush = Some(Instant::now() + every.max(Duration::from_millis(1)));
            }
        }
    }
}
