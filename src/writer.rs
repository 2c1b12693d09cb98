//! Group commit: many writers, one transaction.
//!
//! A durable commit costs one `fdatasync`, a few hundred microseconds, the
//! same for one change as for a thousand. So writers queue their jobs, and
//! whichever caller finds no commit under way becomes the leader: it takes
//! every queued job, runs them in one transaction, commits once, hands each
//! caller its result, and steps down. Callers that arrived during the commit
//! are already queued for the next one. One writer pays one commit; sixty-four
//! concurrent writers share a handful.
//!
//! The leader is a caller's own thread, so a lone writer pays no thread
//! hand-off. Jobs run one after another inside the transaction, which makes
//! the order of the batch the order of the operations (linearizability).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sync::{Condvar, Mutex};

/// The largest number of jobs one transaction takes.
const MAX_BATCH: usize = 1024;

/// What a queued caller is waiting for.
enum Turn {
    /// Its job has not run yet.
    Waiting,
    /// Its job ran: here is the result.
    Done(Result<()>),
    /// The previous leader handed it the lead.
    Lead,
}

/// Where one caller waits: its own lock and condition variable, so that the
/// leader wakes exactly the callers whose jobs ran. (No `thread::park`:
/// it needs `thread::current()`, whose handle the standard library keeps
/// for the life of a C caller's thread, which valgrind reports as a leak.)
struct Waiter {
    turn: Mutex<Turn>,
    wake: Condvar,
}

impl Waiter {
    fn tell(&self, turn: Turn) {
        *self.turn.lock() = turn;
        self.wake.notify_one();
    }

    /// Waits until the caller's job ran or it is handed the lead.
    fn wait(&self) -> Turn {
        let mut turn = self.turn.lock();
        loop {
            match std::mem::replace(&mut *turn, Turn::Waiting) {
                Turn::Waiting => turn = self.wake.wait(turn),
                other => return other,
            }
        }
    }
}

struct Queued<J> {
    job: J,
    waiter: Arc<Waiter>,
}

struct State<J> {
    queue: Vec<Queued<J>>,
    /// A caller is leading (or has been handed the lead): newcomers queue.
    leader: bool,
}

/// The queue and the leader flag of one store's write path.
///
/// Waiters sleep on their own condition variable, and the leader wakes
/// exactly the callers whose jobs ran (plus the next leader), not every
/// waiter: with 64 writers on two cores, waking everyone on every commit
/// would cost more than the commit.
pub(crate) struct GroupCommit<J> {
    state: Mutex<State<J>>,
}

impl<J> GroupCommit<J> {
    pub(crate) fn new() -> GroupCommit<J> {
        GroupCommit {
            state: Mutex::new(State {
                queue: Vec::new(),
                leader: false,
            }),
        }
    }

    /// Queues `job` and returns once the transaction that ran it committed
    /// (or failed). `run` executes a batch and returns one result per job,
    /// in order; it runs on whichever caller leads that batch.
    pub(crate) fn submit(
        &self,
        job: J,
        mut run: impl FnMut(Vec<J>) -> Vec<Result<()>>,
    ) -> Result<()> {
        let me = Arc::new(Waiter {
            turn: Mutex::new(Turn::Waiting),
            wake: Condvar::new(),
        });
        {
            let mut state = self.state.lock();
            state.queue.push(Queued {
                job,
                waiter: me.clone(),
            });
            let lead_now = !state.leader;
            state.leader = true;
            drop(state);
            if !lead_now {
                match me.wait() {
                    Turn::Done(result) => return result,
                    Turn::Lead | Turn::Waiting => {}
                }
            }
        }
        // Lead until our own job has run: it is still queued, since no
        // batch that completed held it.
        loop {
            let batch: Vec<Queued<J>> = {
                let mut state = self.state.lock();
                let take = state.queue.len().min(MAX_BATCH);
                state.queue.drain(..take).collect()
            };
            let mut waiters = Vec::with_capacity(batch.len());
            let mut jobs = Vec::with_capacity(batch.len());
            for queued in batch {
                jobs.push(queued.job);
                waiters.push(queued.waiter);
            }
            let n = jobs.len();
            // A panicking batch must not leave the lead taken and every
            // queued caller waiting forever.
            let mut results = catch_unwind(AssertUnwindSafe(|| run(jobs)))
                .unwrap_or_else(|_| {
                    (0..n)
                        .map(|_| Err(Error::storage("internal error: a write batch panicked")))
                        .collect()
                })
                .into_iter();
            let mut mine = None;
            for waiter in waiters {
                let result = results.next().unwrap_or_else(|| {
                    Err(Error::storage(
                        "internal error: a batch returned fewer results than jobs",
                    ))
                });
                if Arc::ptr_eq(&waiter, &me) {
                    mine = Some(result);
                } else {
                    waiter.tell(Turn::Done(result));
                }
            }
            if let Some(result) = mine {
                // Hand the lead to the first caller still queued, if any.
                let mut state = self.state.lock();
                match state.queue.first() {
                    Some(next) => next.waiter.tell(Turn::Lead),
                    None => state.leader = false,
                }
                return result;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_job_runs_once_and_batches_form_under_concurrency() {
        let gc = Arc::new(GroupCommit::<usize>::new());
        let ran = Arc::new(Mutex::new(Vec::new()));
        let batches = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let gc = gc.clone();
                let ran = ran.clone();
                let batches = batches.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let ran = ran.clone();
                        let batches = batches.clone();
                        gc.submit(t * 1000 + i, move |jobs| {
                            batches.fetch_add(1, Ordering::SeqCst);
                            let n = jobs.len();
                            ran.lock().extend(jobs);
                            (0..n).map(|_| Ok(())).collect()
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut ran = ran.lock().clone();
        ran.sort_unstable();
        let expected: Vec<usize> = (0..16)
            .flat_map(|t| (0..200).map(move |i| t * 1000 + i))
            .collect();
        assert_eq!(ran, expected);
        assert!(batches.load(Ordering::SeqCst) <= 16 * 200);
    }
}
