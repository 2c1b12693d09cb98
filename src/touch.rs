//! Reads in memory: the last access of sessions read since their record was
//! last written.
//!
//! A read must not write to disk on every call. So `get` notes the time
//! here, and persists it only once the stored `last_access` is older than
//! the touch interval. Everything that decides expiry (reads, the sweeper,
//! eviction) takes the later of the stored and the noted time, so a session
//! used within its idle timeout is never swept; after a crash, what was only
//! noted here is lost, and a session may expire up to one touch interval
//! early, never late.

use crate::sync::Mutex;

use crate::clock::Timestamp;
use crate::token::{IdMap, SessionId};

const SHARDS: usize = 16;

/// Last-access times newer than the stored ones.
pub(crate) struct Touches {
    shards: Vec<Mutex<IdMap<Timestamp>>>,
}

impl Touches {
    pub(crate) fn new() -> Touches {
        Touches {
            shards: (0..SHARDS).map(|_| Mutex::new(IdMap::default())).collect(),
        }
    }

    fn shard(&self, id: &SessionId) -> &Mutex<IdMap<Timestamp>> {
        &self.shards[usize::from(id.as_bytes()[1]) % SHARDS]
    }

    /// Notes a read at `at`.
    pub(crate) fn note(&self, id: SessionId, at: Timestamp) {
        let mut shard = self.shard(&id).lock();
        let entry = shard.entry(id).or_insert(at);
        if *entry < at {
            *entry = at;
        }
    }

    /// The later of `stored` and the noted last access.
    pub(crate) fn last_access(&self, id: &SessionId, stored: Timestamp) -> Timestamp {
        match self.shard(id).lock().get(id) {
            Some(noted) if *noted > stored => *noted,
            _ => stored,
        }
    }

    /// Reads and updates the noted time under one lock: `f` gets the noted
    /// time (if any) and returns the one to keep.
    pub(crate) fn with<R>(
        &self,
        id: SessionId,
        f: impl FnOnce(Option<Timestamp>) -> (Option<Timestamp>, R),
    ) -> R {
        let mut shard = self.shard(&id).lock();
        let noted = shard.get(&id).copied();
        let (keep, out) = f(noted);
        match keep {
            Some(at) => {
                shard.insert(id, at);
            }
            None => {
                shard.remove(&id);
            }
        }
        out
    }

    /// The record now holds a last access of `persisted`: forget what it covers.
    pub(crate) fn persisted(&self, id: &SessionId, persisted: Timestamp) {
        let mut shard = self.shard(id).lock();
        if shard.get(id).is_some_and(|noted| *noted <= persisted) {
            shard.remove(id);
        }
    }

    /// The session is gone.
    pub(crate) fn forget(&self, id: &SessionId) {
        self.shard(id).lock().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_later_time_wins_and_persisting_forgets_it() {
        let t = Touches::new();
        let id = SessionId::of_token("x");
        let ms = Timestamp::from_millis;
        assert_eq!(t.last_access(&id, ms(5)), ms(5));
        t.note(id, ms(10));
        t.note(id, ms(8));
        assert_eq!(t.last_access(&id, ms(5)), ms(10));
        assert_eq!(t.last_access(&id, ms(12)), ms(12));
        t.persisted(&id, ms(9));
        assert_eq!(t.last_access(&id, ms(5)), ms(10));
        t.persisted(&id, ms(10));
        assert_eq!(t.last_access(&id, ms(5)), ms(5));
    }
}
