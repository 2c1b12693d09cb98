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

use std::collections::HashMap;
use std::thread::{self, Thread};

use parking_lot::{Mutex, MutexGuard};

use crate::error::{Error, Result};

/// The largest number of jobs one transaction takes.
const MAX_BATCH: usize = 1024;

struct Queued<J> {
    ticket: u64,
    job: J,
    /// The caller waiting for this job, woken when it has run.
    waiter: Thread,
}

struct State<J> {
    queue: Vec<Queued<J>>,
    leader: bool,
    next_ticket: u64,
    done: HashMap<u64, Result<()>>,
}

/// The queue and the leader flag of one store's write path.
///
/// Waiters park, and the leader wakes exactly the callers whose jobs ran
/// (plus the next leader), not every waiter: with 64 writers on two cores,
/// waking everyone on every commit would cost more than the commit.
pub(crate) struct GroupCommit<J> {
    state: Mutex<State<J>>,
}

impl<J> GroupCommit<J> {
    pub(crate) fn new() -> GroupCommit<J> {
        GroupCommit {
            state: Mutex::new(State {
                queue: Vec::new(),
                leader: false,
                next_ticket: 0,
                done: HashMap::new(),
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
        let mut state = self.state.lock();
        let ticket = state.next_ticket;
        state.next_ticket = state.next_ticket.wrapping_add(1);
        state.queue.push(Queued {
            ticket,
            job,
            waiter: thread::current(),
        });
        loop {
            if let Some(result) = state.done.remove(&ticket) {
                return result;
            }
            if !state.leader {
                break;
            }
            MutexGuard::unlocked(&mut state, thread::park);
        }
        // Lead until our own job has run: it is still queued, since no
        // batch that completed held it.
        state.leader = true;
        loop {
            let take = state.queue.len().min(MAX_BATCH);
            let batch: Vec<Queued<J>> = state.queue.drain(..take).collect();
            drop(state);

            let mut waiters = Vec::with_capacity(batch.len());
            let mut tickets = Vec::with_capacity(batch.len());
            let mut jobs = Vec::with_capacity(batch.len());
            for queued in batch {
                tickets.push(queued.ticket);
                jobs.push(queued.job);
                waiters.push(queued.waiter);
            }
            let mut results = run(jobs).into_iter();

            state = self.state.lock();
            for t in tickets {
                let result = results.next().unwrap_or_else(|| {
                    Err(Error::storage(
                        "internal error: a batch returned fewer results than jobs",
                    ))
                });
                state.done.insert(t, result);
            }
            if let Some(result) = state.done.remove(&ticket) {
                state.leader = false;
                // Hand the lead to the first caller still queued, if any.
                let next = state.queue.first().map(|q| q.waiter.clone());
                drop(state);
                for waiter in waiters.iter().chain(next.as_ref()) {
                    if waiter.id() != thread::current().id() {
                        waiter.unpark();
                    }
                }
                return result;
            }
            // Our job was beyond this batch: wake the callers whose jobs
            // ran, and lead the next batch.
            for waiter in &waiters {
                waiter.unpark();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

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
