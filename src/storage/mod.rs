//! The storage seam: everything above it (session logic, tokens, lifetimes,
//! the C and Python faces) speaks to [`Storage`] and never to redb.
//!
//! A backend keeps three things consistent inside every write transaction:
//! the sessions table (id → record), the expiry indexes (when each live
//! session, and each record of an ended one, may be swept) and the user
//! index (user → ids, and the set of users). Session logic writes whole
//! records with [`WriteView::put`]; the backend derives the index entries
//! from the record ([`Record::indexed_user`], [`Record::sweep_at`]).
//!
//! Today there is one backend, [`redb`](self::redb): a file owned by one
//! process, a file shared by the processes of one machine (redb's
//! multi-writer mode), or memory. The read cache and the group-commit
//! writer live inside the backend, so a backend that must not cache across
//! transactions (the shared file, a future Redis/Valkey backend) simply has
//! none.

pub(crate) mod redb;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::record::Record;
use crate::token::SessionId;

/// Which expiry index to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// Live sessions whose stored expiry has passed.
    Live,
    /// Records of ended sessions whose keeping time has passed.
    Ended,
}

/// Reads inside one consistent snapshot (a read or a write transaction).
pub(crate) trait ReadView {
    /// The record under `id`.
    fn get(&self, id: &SessionId) -> Result<Option<Record>>;
    /// Ids of the live records of `user` (expired ones not yet swept included).
    fn user_sessions(&self, user: &str) -> Result<Vec<SessionId>>;
    /// Users with at least one live record, in order, after `after`.
    fn users_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>>;
    /// Up to `limit` ids whose sweep time is at or before `now`, oldest first.
    fn due(&self, which: Due, now: Timestamp, limit: usize) -> Result<Vec<SessionId>>;
    /// How many live records are stored (expired ones not yet swept included).
    fn live_records(&self) -> Result<u64>;
    /// How many users have a live record.
    fn user_count(&self) -> Result<u64>;
    /// A stored refresh-token record (see `pairs`) and when it may be swept.
    fn get_refresh(&self, key: &[u8; 32]) -> Result<Option<(Timestamp, Vec<u8>)>>;
    /// A small value the store keeps for itself (such as the sweeper lease).
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>>;
}

/// Writes inside one transaction; visible to later reads of the same view.
pub(crate) trait WriteView: ReadView {
    /// Stores `record` under `id`, updating every index.
    fn put(&mut self, id: SessionId, record: Record) -> Result<()>;
    /// Removes the record under `id` and its index entries.
    fn delete(&mut self, id: &SessionId) -> Result<()>;
    /// Stores a refresh-token record that may be swept after `until`.
    fn put_refresh(&mut self, key: [u8; 32], value: Vec<u8>, until: Timestamp) -> Result<()>;
    /// Removes one refresh-token record.
    fn delete_refresh(&mut self, key: &[u8; 32]) -> Result<()>;
    /// Removes refresh-token records due at or before `now`; returns how many.
    fn sweep_refresh(&mut self, now: Timestamp, limit: usize) -> Result<usize>;
    /// Stores a small value of the store's own (see [`ReadView::meta`]).
    fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<()>;
}

/// A unit of work for the writer. It must check everything before its
/// first write: an `Err` after a write would leave that write in the batch.
pub(crate) type Job = Box<dyn FnOnce(&mut dyn WriteView) -> Result<()> + Send>;

/// Counters a backend keeps for `Store::stats`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StorageCounters {
    pub(crate) commits: u64,
    pub(crate) durable_commits: u64,
    pub(crate) cache_hits: u64,
    pub(crate) cache_misses: u64,
    pub(crate) file_bytes: Option<u64>,
}

/// A place to keep sessions.
pub(crate) trait Storage: Send + Sync {
    /// The record under `id`, from the cache or one read transaction.
    fn load(&self, id: &SessionId) -> Result<Option<Record>>;
    /// Runs `f` on one consistent snapshot.
    fn read(&self, f: &mut dyn FnMut(&dyn ReadView) -> Result<()>) -> Result<()>;
    /// Runs `job` in a write transaction shared with concurrent writers.
    /// With `durable`, returns after the transaction is on disk.
    fn write(&self, job: Job, durable: bool) -> Result<()>;
    /// Makes every committed change durable.
    fn flush(&self) -> Result<()>;
    /// Whether changes were committed without being made durable yet.
    fn dirty(&self) -> bool;
    /// Counters for `stats`.
    fn counters(&self) -> StorageCounters;
    /// Flushes and releases the file; later calls fail.
    fn close(&self) -> Result<()>;
    /// Walks every record and index; changes nothing (`Store::check`).
    fn check(&self) -> Result<crate::integrity::CheckReport>;
}
