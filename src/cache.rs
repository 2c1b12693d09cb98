//! The read cache: decoded records of hot sessions, so that a hot `get`
//! costs a hash and a map lookup instead of a read transaction.
//!
//! The cache is sharded by session id (ids are SHA-256 output, so the first
//! byte spreads evenly). Writers replace entries after their commit; a
//! reader that missed inserts what it read only if no writer touched that
//! shard since the reader started (`epoch`), so a slow reader can never put
//! back a record older than one a writer already committed.

use crate::sync::Mutex;

use crate::record::Record;
use crate::token::{IdMap, SessionId};

const SHARDS: usize = 16;

#[derive(Default)]
struct Shard {
    map: IdMap<Record>,
    epoch: u64,
    hits: u64,
    misses: u64,
}

/// A bounded map from session id to its decoded record.
pub(crate) struct Cache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

/// A position in a shard's history of writes, taken before a read.
#[derive(Clone, Copy)]
pub(crate) struct Epoch(u64);

impl Cache {
    pub(crate) fn new(capacity: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    fn shard(&self, id: &SessionId) -> &Mutex<Shard> {
        &self.shards[usize::from(id.as_bytes()[0]) % SHARDS]
    }

    /// The cached record, or the epoch to hand to [`Cache::fill`] after
    /// reading it from storage.
    pub(crate) fn get(&self, id: &SessionId) -> Result<Record, Epoch> {
        let mut shard = self.shard(id).lock();
        match shard.map.get(id).cloned() {
            Some(record) => {
                shard.hits += 1;
                Ok(record)
            }
            None => {
                shard.misses += 1;
                Err(Epoch(shard.epoch))
            }
        }
    }

    /// Caches a record read from storage, unless a writer changed the shard
    /// since `epoch` was taken.
    pub(crate) fn fill(&self, id: SessionId, record: Record, epoch: Epoch) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = self.shard(&id).lock();
        if shard.epoch != epoch.0 {
            return;
        }
        Self::make_room(&mut shard, self.per_shard, &id);
        shard.map.entry(id).or_insert(record);
    }

    /// Records a committed write: the new record, or `None` when deleted.
    pub(crate) fn store(&self, id: SessionId, record: Option<Record>) {
        let mut shard = self.shard(&id).lock();
        shard.epoch = shard.epoch.wrapping_add(1);
        match record {
            Some(record) if self.per_shard > 0 => {
                Self::make_room(&mut shard, self.per_shard, &id);
                shard.map.insert(id, record);
            }
            _ => {
                shard.map.remove(&id);
            }
        }
    }

    /// Forgets everything (after a failed commit, the cache may hold
    /// nothing the disk does not).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock();
            shard.epoch = shard.epoch.wrapping_add(1);
            shard.map.clear();
        }
    }

    fn make_room(shard: &mut Shard, limit: usize, incoming: &SessionId) {
        if shard.map.len() >= limit && !shard.map.contains_key(incoming) {
            // Ids are uniformly random, so the first key the map yields is
            // an arbitrary victim: random eviction, which needs no
            // bookkeeping on the read path.
            if let Some(victim) = shard.map.keys().next().copied() {
                shard.map.remove(&victim);
            }
        }
    }

    /// (hits, misses) since the store opened.
    pub(crate) fn counters(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(h, m), shard| {
            let shard = shard.lock();
            (h + shard.hits, m + shard.misses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::error::EndReason;

    fn record(ms: i64) -> Record {
        Record::Ended {
            reason: EndReason::Logout,
            ended_at: Timestamp::from_millis(ms),
            until: Timestamp::from_millis(ms),
        }
    }

    #[test]
    fn a_slow_reader_cannot_put_back_an_older_record() {
        let cache = Cache::new(100);
        let id = SessionId::of_token("a");
        let epoch = cache.get(&id).unwrap_err();
        cache.store(id, Some(record(2)));
        cache.store(id, None);
        cache.fill(id, record(1), epoch);
        assert!(cache.get(&id).is_err());
    }

    #[test]
    fn the_cache_stays_within_capacity() {
        let cache = Cache::new(32);
        for i in 0..1000 {
            let id = SessionId::of_token(&i.to_string());
            let epoch = cache.get(&id).unwrap_err();
            cache.fill(id, record(i), epoch);
        }
        let held: usize = cache.shards.iter().map(|s| s.lock().map.len()).sum();
        assert!(held <= 32, "held {held}");
        assert!(held >= 16);
    }
}
