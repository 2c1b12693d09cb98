//! The redb backend: one file (or memory), a read cache, and group commit.
//!
//! A file is opened exclusively (redb's `ExclusiveWriter`: one process, a
//! read cache) or shared (`MultiWriter`: the processes of one machine take
//! turns on the file's write lock; every commit durable; no cache, since
//! another process may have changed any record since it was read).
//!
//! Tables:
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | name | bytes (`coatcheck.format` → the file format version; `coatcheck.sweeper` → the sweeper lease of a shared file) |
//! | `sessions` | session id (32 bytes) | encoded [`Record`] |
//! | `live_expiry` | (expires ms, id) | — |
//! | `ended_expiry` | (keep-until ms, id) | — |
//! | `user_sessions` | (user, id) | — |
//! | `users` | user | number of live records |
//! | `refresh` | SHA-256 of a refresh token | (sweep-after ms, encoded record) |
//! | `refresh_expiry` | (sweep-after ms, key) | — |

use std::cell::OnceCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::sync::RwLock;
use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata, Table,
    TableDefinition, WriteTransaction,
};

use super::{Due, Job, ReadView, Storage, StorageCounters, WriteView};
use crate::cache::Cache;
use crate::clock::Timestamp;
use crate::codec;
use crate::error::{Error, ErrorKind, Result};
use crate::integrity::CheckReport;
use crate::record::Record;
use crate::token::SessionId;
use crate::writer::GroupCommit;

/// The file format this build writes; a file with a larger one is refused.
/// Format 2: session records carry a checksum and their id (see `codec`).
/// A format-1 file opens as it is (its records are still read) and is
/// marked format 2 at once, so that an older build refuses it clearly
/// rather than meeting records it cannot read.
pub(crate) const FILE_FORMAT: u64 = 2;
const FORMAT_KEY: &str = "coatcheck.format";

type IdKey = &'static [u8; 32];

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const SESSIONS: TableDefinition<IdKey, &[u8]> = TableDefinition::new("sessions");
const LIVE_EXPIRY: TableDefinition<(i64, IdKey), ()> = TableDefinition::new("live_expiry");
const ENDED_EXPIRY: TableDefinition<(i64, IdKey), ()> = TableDefinition::new("ended_expiry");
const USER_SESSIONS: TableDefinition<(&str, IdKey), ()> = TableDefinition::new("user_sessions");
const USERS: TableDefinition<&str, u64> = TableDefinition::new("users");
const REFRESH: TableDefinition<IdKey, (i64, &[u8])> = TableDefinition::new("refresh");
const REFRESH_EXPIRY: TableDefinition<(i64, IdKey), ()> = TableDefinition::new("refresh_expiry");

const LOW: [u8; 32] = [0; 32];
const HIGH: [u8; 32] = [0xff; 32];

/// The redb backend.
pub(crate) struct RedbStorage {
    db: RwLock<Option<Database>>,
    path: Option<PathBuf>,
    cache: Cache,
    writer: GroupCommit<(Job, bool)>,
    dirty: AtomicBool,
    commits: AtomicU64,
    durable_commits: AtomicU64,
    owner_pid: u32,
    /// A write failed on I/O or redb panicked: reopen the file before the
    /// next call (see `heal`).
    needs_reopen: AtomicBool,
    /// Shared mode: other processes write the file too, so nothing read may
    /// be kept across transactions, and every commit is durable (redb's
    /// multi-writer mode has no other kind).
    shared: bool,
}

impl RedbStorage {
    /// Opens or creates the store file at `path`: owned by this process,
    /// or with `shared`, opened together with the other processes of this
    /// machine that open it shared.
    pub(crate) fn open(path: &Path, cache_capacity: usize, shared: bool) -> Result<RedbStorage> {
        // A per-process cache cannot see other processes' commits.
        let cache_capacity = if shared { 0 } else { cache_capacity };
        guard("opening the file", || {
            let db = create_database(path, shared)?;
            Self::init(db, Some(path.to_path_buf()), cache_capacity, shared)
        })
    }

    /// A store that lives in memory only.
    pub(crate) fn in_memory(cache_capacity: usize) -> Result<RedbStorage> {
        let db = redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| Error::storage(format!("could not create an in-memory store: {e}")))?;
        Self::init(db, None, cache_capacity, false)
    }

    fn init(
        db: Database,
        path: Option<PathBuf>,
        cache_capacity: usize,
        shared: bool,
    ) -> Result<RedbStorage> {
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let format = meta.get(FORMAT_KEY)?.map(|v| v.value().to_vec());
            match format {
                None => {
                    let foreign = txn
                        .list_tables()?
                        .any(|t| redb::TableHandle::name(&t) != "meta");
                    if foreign {
                        return Err(Error::corrupt(
                            "the file is a redb database but not a coatcheck store",
                        ));
                    }
                    meta.insert(FORMAT_KEY, FILE_FORMAT.to_be_bytes().as_slice())?;
                }
                Some(bytes) => {
                    let found = <[u8; 8]>::try_from(bytes.as_slice())
                        .map(u64::from_be_bytes)
                        .map_err(|_| Error::corrupt("the file format marker is damaged"))?;
                    if found > FILE_FORMAT {
                        return Err(Error::corrupt(format!(
                            "the file has format {found}, newer than this build of coatcheck \
                             understands ({FILE_FORMAT}); upgrade coatcheck to open it"
                        )));
                    }
                    if found < FILE_FORMAT {
                        meta.insert(FORMAT_KEY, FILE_FORMAT.to_be_bytes().as_slice())?;
                    }
                }
            }
        }
        txn.open_table(SESSIONS)?;
        txn.open_table(LIVE_EXPIRY)?;
        txn.open_table(ENDED_EXPIRY)?;
        txn.open_table(USER_SESSIONS)?;
        txn.open_table(USERS)?;
        txn.open_table(REFRESH)?;
        txn.open_table(REFRESH_EXPIRY)?;
        txn.commit()?;
        Ok(RedbStorage {
            db: RwLock::new(Some(db)),
            path,
            cache: Cache::new(cache_capacity),
            writer: GroupCommit::new(),
            dirty: AtomicBool::new(false),
            commits: AtomicU64::new(0),
            durable_commits: AtomicU64::new(0),
            owner_pid: std::process::id(),
            needs_reopen: AtomicBool::new(false),
            shared,
        })
    }

    fn closed() -> Error {
        Error::storage("the store is closed")
    }

    /// The open database, unless the store is closed or this process is a
    /// fork of the one that opened it (which must never touch the file).
    fn database<'g>(&self, guard: &'g Option<Database>) -> Result<&'g Database> {
        if !crate::fork::is_owner(self.owner_pid) {
            return Err(crate::fork::inherited(self.owner_pid));
        }
        match guard.as_ref() {
            Some(db) => Ok(db),
            None if self.needs_reopen.load(Ordering::Acquire) => Err(Error::storage(
                "the store file could not be reopened after an earlier failure; \
                 the next call tries again",
            )),
            None => Err(Self::closed()),
        }
    }

    /// Runs one batch of jobs in one transaction; one result per job.
    fn run_batch(&self, jobs: Vec<(Job, bool)>) -> Vec<Result<()>> {
        let n = jobs.len();
        let outcome = self
            .heal()
            .and_then(|()| self.guarded("writing", || self.try_run_batch(jobs)));
        match outcome {
            Ok(results) => results,
            Err(err) => {
                if err.kind() == ErrorKind::Io {
                    // redb refuses every write after a failed one ("close
                    // and re-open"): reopen before the next write, so that
                    // writes resume by themselves once the disk has room.
                    self.needs_reopen.store(true, Ordering::Release);
                }
                // Nothing of the batch is committed; the cache may not hold
                // anything the file does not.
                self.cache.clear();
                (0..n).map(|_| Err(replicate(&err))).collect()
            }
        }
    }

    fn try_run_batch(&self, jobs: Vec<(Job, bool)>) -> Result<Vec<Result<()>>> {
        let guard = self.db.read();
        let db = self.database(&guard)?;
        let durable =
            self.shared || (self.path.is_some() && jobs.iter().any(|(_, durable)| *durable));
        let mut txn = db.begin_write()?;
        txn.set_durability(if durable {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        })?;
        let mut results = Vec::with_capacity(jobs.len());
        let changes = {
            let mut view = RedbWrite::open(&txn)?;
            for (job, _) in jobs {
                match catch_unwind(AssertUnwindSafe(|| job(&mut view))) {
                    Ok(Ok(())) => results.push(Ok(())),
                    Ok(Err(err)) if is_logical(&err) && !view.failed => results.push(Err(err)),
                    Ok(Err(err)) => return Err(err),
                    Err(_) => {
                        // A panic inside redb (a damaged page) or in the
                        // job: roll the batch back and reopen the file.
                        self.needs_reopen.store(true, Ordering::Release);
                        return Err(Error::corrupt(
                            "the storage engine failed while writing (a damaged page?); \
                             the batch was rolled back",
                        ));
                    }
                }
            }
            view.changes
        };
        txn.commit()?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        if durable {
            self.durable_commits.fetch_add(1, Ordering::Relaxed);
            self.dirty.store(false, Ordering::Release);
        } else if self.path.is_some() {
            self.dirty.store(true, Ordering::Release);
        }
        for (id, record) in changes {
            self.cache.store(id, record);
        }
        Ok(results)
    }
}

/// Fault handling: every entry into redb runs under [`guard`], and a store
/// whose file failed (an I/O error such as a full disk, or a panic inside
/// redb) reopens it before its next call.
impl RedbStorage {
    fn read_unguarded(&self, f: &mut dyn FnMut(&dyn ReadView) -> Result<()>) -> Result<()> {
        let guard = self.db.read();
        let db = self.database(&guard)?;
        let txn = db.begin_read()?;
        let view = RedbRead {
            meta: txn.open_table(META)?,
            sessions: txn.open_table(SESSIONS)?,
            live_expiry: txn.open_table(LIVE_EXPIRY)?,
            ended_expiry: txn.open_table(ENDED_EXPIRY)?,
            user_sessions: txn.open_table(USER_SESSIONS)?,
            users: txn.open_table(USERS)?,
            refresh: txn.open_table(REFRESH)?,
        };
        f(&view)
    }

    /// [`guard`], and a reopen before the next call if redb panicked (its
    /// state may be half-changed).
    fn guarded<T>(&self, what: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let result = guard(what, f);
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Corrupt && is_panic(e)) {
            self.needs_reopen.store(true, Ordering::Release);
        }
        result
    }

    /// Reopens the file if an earlier call left redb unusable: redb answers
    /// every write after a failed one with "close and re-open the
    /// database". Same path, same process; the store's lock on the file is
    /// released and taken again at once. A reopen that fails (the disk is
    /// still full) is reported, and tried again by the next call.
    fn heal(&self) -> Result<()> {
        if !self.needs_reopen.load(Ordering::Acquire) {
            return Ok(());
        }
        let Some(path) = &self.path else {
            // Memory cannot be reopened; redb in memory has no I/O to fail.
            self.needs_reopen.store(false, Ordering::Release);
            return Ok(());
        };
        if !crate::fork::is_owner(self.owner_pid) {
            return Err(crate::fork::inherited(self.owner_pid));
        }
        let mut slot = self.db.write();
        if !self.needs_reopen.load(Ordering::Acquire) {
            return Ok(()); // another caller reopened it meanwhile
        }
        if let Some(old) = slot.take() {
            // Dropping a failed database may itself fail inside redb.
            let _ = guard("closing the failed file", || {
                drop(old);
                Ok(())
            });
        }
        self.cache.clear();
        let db = guard("reopening the file", || {
            let db = create_database(path, self.shared)?;
            // The tables exist: the file was a store a moment ago.
            db.begin_read()?.open_table(META)?;
            Ok(db)
        })?;
        *slot = Some(db);
        self.needs_reopen.store(false, Ordering::Release);
        Ok(())
    }
}

/// `Store::check`: a walk over every table in one read transaction. Each
/// table is read under its own guard, so one unreadable table is reported
/// and the others are still checked.
impl RedbStorage {
    fn check_walk(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let guard_db = self.db.read();
        let db = self.database(&guard_db)?;
        let txn = guard("checking", || Ok(db.begin_read()?))?;
        // id → (live, sweep at, user) of every record that decoded.
        let mut records: HashMap<SessionId, (bool, i64, Option<String>)> = HashMap::new();
        let walked = guard("checking the sessions table", || {
            for entry in txn.open_table(SESSIONS)?.iter()? {
                let (key, value) = entry?;
                let id = SessionId::from_bytes(*key.value());
                match codec::decode_record(&id, value.value()) {
                    Ok(record) => {
                        if record.is_live() {
                            report.sessions += 1;
                        } else {
                            report.ended += 1;
                        }
                        let user = record.indexed_user().map(str::to_owned);
                        records.insert(id, (record.is_live(), record.sweep_at().as_millis(), user));
                    }
                    Err(err) => {
                        report.damaged_records += 1;
                        report.problem(format!("session {id}: {err}"));
                    }
                }
            }
            Ok(())
        });
        if let Err(err) = walked {
            report.problem(format!(
                "the sessions table cannot be read to the end: {err}"
            ));
        }
        let mut indexed: HashMap<SessionId, u8> = HashMap::new();
        for (name, table, live) in [
            ("live_expiry", LIVE_EXPIRY, true),
            ("ended_expiry", ENDED_EXPIRY, false),
        ] {
            let walked = guard("checking an expiry index", || {
                for entry in txn.open_table(table)?.iter()? {
                    let (key, _) = entry?;
                    let (at, id) = key.value();
                    let id = SessionId::from_bytes(*id);
                    *indexed.entry(id).or_default() += 1;
                    match records.get(&id) {
                        Some((is_live, sweep_at, _)) if *is_live == live && *sweep_at == at => {}
                        _ => report.problem(format!(
                            "{name}: the entry for session {id} at {at} ms matches no record"
                        )),
                    }
                }
                Ok(())
            });
            if let Err(err) = walked {
                report.problem(format!("the {name} index cannot be read to the end: {err}"));
            }
        }
        for id in records.keys() {
            if indexed.get(id).copied().unwrap_or(0) != 1 {
                report.problem(format!(
                    "session {id} is not in its expiry index exactly once"
                ));
            }
        }
        let mut per_user: HashMap<String, u64> = HashMap::new();
        let walked = guard("checking the user index", || {
            for entry in txn.open_table(USER_SESSIONS)?.iter()? {
                let (key, _) = entry?;
                let (user, id) = key.value();
                let id = SessionId::from_bytes(*id);
                *per_user.entry(user.to_owned()).or_default() += 1;
                match records.get(&id) {
                    Some((true, _, Some(owner))) if owner == user => {}
                    _ => report.problem(format!(
                        "user_sessions: the entry of user {user:?} for session {id} matches no \
                         live session of that user"
                    )),
                }
            }
            let mut listed = 0;
            for entry in txn.open_table(USERS)?.iter()? {
                let (key, count) = entry?;
                listed += 1;
                let found = per_user.get(key.value()).copied().unwrap_or(0);
                if found != count.value() {
                    report.problem(format!(
                        "users: user {:?} is counted with {} sessions, the index lists {found}",
                        key.value(),
                        count.value()
                    ));
                }
            }
            if listed != per_user.len() {
                report.problem("users: the list of users does not match the user index");
            }
            Ok(())
        });
        if let Err(err) = walked {
            report.problem(format!("the user index cannot be read to the end: {err}"));
        }
        for (id, (live, _, user)) in &records {
            if let (true, Some(user)) = (live, user) {
                if !per_user.contains_key(user) {
                    report.problem(format!(
                        "session {id} of user {user:?} is not in the user index"
                    ));
                }
            }
        }
        let walked = guard("checking the refresh tokens", || {
            let mut untils = HashMap::new();
            for entry in txn.open_table(REFRESH)?.iter()? {
                let (key, value) = entry?;
                let (until, bytes) = value.value();
                report.refresh_tokens += 1;
                if let Err(err) = codec::verify(bytes, "refresh token record") {
                    report.damaged_records += 1;
                    report.problem(format!("{err}"));
                }
                untils.insert(*key.value(), until);
            }
            let mut expiring = 0;
            for entry in txn.open_table(REFRESH_EXPIRY)?.iter()? {
                let (key, _) = entry?;
                let (until, k) = key.value();
                expiring += 1;
                if untils.get(k) != Some(&until) {
                    report.problem("refresh_expiry: an entry matches no refresh token record");
                }
            }
            if expiring != untils.len() {
                report.problem("refresh_expiry: not every refresh token record is indexed once");
            }
            Ok(())
        });
        if let Err(err) = walked {
            report.problem(format!(
                "the refresh tokens cannot be read to the end: {err}"
            ));
        }
        Ok(report)
    }
}

/// Opens or creates the redb file at `path` (the one place that builds
/// it): with `shared`, in redb's multi-writer mode.
fn create_database(path: &Path, shared: bool) -> Result<Database> {
    let mode = if shared {
        redb::ConcurrencyMode::MultiWriter
    } else {
        redb::ConcurrencyMode::ExclusiveWriter
    };
    redb::Builder::new()
        .set_concurrency_mode(mode)
        .create(path)
        .map_err(|e| open_error(e, path))
}

const PANIC_MESSAGE: &str = "the storage engine failed on damaged data while";

/// Runs one entry into redb. redb can panic on a damaged page (an
/// `unreachable!` in its B-tree code, a slice index out of range); such a
/// panic becomes `Corrupt`, is not printed, and the caller goes on.
fn guard<T>(what: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_panics_in_guards();
    QUIET.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|depth| depth.set(depth.get() - 1));
    result.unwrap_or_else(|_| {
        Err(Error::corrupt(format!(
            "{PANIC_MESSAGE} {what}; the file is damaged: Store::check lists what, \
             Store::repair salvages what is intact"
        )))
    })
}

fn is_panic(err: &Error) -> bool {
    err.to_string().contains(PANIC_MESSAGE)
}

thread_local! {
    /// How many `guard`s this thread is inside (panics there are not printed).
    static QUIET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Installs, once, a panic hook that stays silent for panics inside
/// `guard` and hands every other panic to the hook that was there before.
fn quiet_panics_in_guards() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|depth| depth.get()) == 0 {
                previous(info);
            }
        }));
    });
}

impl Drop for RedbStorage {
    fn drop(&mut self) {
        if !crate::fork::is_owner(self.owner_pid) {
            // A forked child must not even close the parent's database:
            // redb writes to the file on close. Leak the handle instead.
            // `get_mut`, not `write`: a parent's thread may have held the
            // lock at the moment of the fork, and it is never released here.
            std::mem::forget(self.db.get_mut().take());
        }
    }
}

/// Errors a job reports about the request (the transaction stays good);
/// anything else fails the whole batch.
fn is_logical(err: &Error) -> bool {
    !matches!(
        err.kind(),
        ErrorKind::Io | ErrorKind::Storage | ErrorKind::Corrupt | ErrorKind::Locked
    )
}

/// The same failure, for each job of a failed batch.
fn replicate(err: &Error) -> Error {
    let message = err.to_string();
    match err.kind() {
        ErrorKind::Corrupt => Error::corrupt(message),
        ErrorKind::Io => Error::io(
            "the write was not committed",
            std::io::Error::other(message),
        ),
        _ => Error::storage(format!("the write was not committed: {message}")),
    }
}

fn open_error(err: DatabaseError, path: &Path) -> Error {
    match err {
        DatabaseError::DatabaseAlreadyOpen => Error::locked(path.to_path_buf()),
        // redb reads a foreign or cut-short header as an I/O error: it is
        // the file's content, not the disk, that is wrong.
        DatabaseError::Storage(redb::StorageError::Io(source))
            if matches!(
                source.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            Error::corrupt(format!(
                "{} is not a coatcheck store or is damaged: {source}",
                path.display()
            ))
        }
        DatabaseError::Storage(redb::StorageError::Io(source)) => {
            Error::io(format!("could not open {}", path.display()), source)
        }
        DatabaseError::Storage(redb::StorageError::Corrupted(message)) => Error::corrupt(format!(
            "{} is not a coatcheck store or is damaged: {message}",
            path.display()
        )),
        DatabaseError::UpgradeRequired(_) => Error::corrupt(format!(
            "{} was written by an older storage format and must be upgraded",
            path.display()
        )),
        other => Error::storage(format!("could not open {}: {other}", path.display())),
    }
}

impl Storage for RedbStorage {
    fn load(&self, id: &SessionId) -> Result<Option<Record>> {
        let epoch = match self.cache.get(id) {
            Ok(record) => return Ok(Some(record)),
            Err(epoch) => epoch,
        };
        self.heal()?;
        self.guarded("reading a session", || {
            let guard = self.db.read();
            let db = self.database(&guard)?;
            let txn = db.begin_read()?;
            let sessions = txn.open_table(SESSIONS)?;
            let record = read_record(&sessions, id)?;
            if let Some(record) = &record {
                self.cache.fill(*id, record.clone(), epoch);
            }
            Ok(record)
        })
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadView) -> Result<()>) -> Result<()> {
        self.heal()?;
        self.guarded("reading", || self.read_unguarded(f))
    }

    fn write(&self, job: Job, durable: bool) -> Result<()> {
        self.writer
            .submit((job, durable), |jobs| self.run_batch(jobs))
    }

    fn flush(&self) -> Result<()> {
        if self.path.is_none() || !self.dirty.load(Ordering::Acquire) {
            return Ok(());
        }
        self.write(Box::new(|_| Ok(())), true)
    }

    fn dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    fn counters(&self) -> StorageCounters {
        let (cache_hits, cache_misses) = self.cache.counters();
        StorageCounters {
            commits: self.commits.load(Ordering::Relaxed),
            durable_commits: self.durable_commits.load(Ordering::Relaxed),
            cache_hits,
            cache_misses,
            file_bytes: self
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len()),
        }
    }

    fn check(&self) -> Result<CheckReport> {
        self.heal()?;
        self.check_walk()
    }

    fn close(&self) -> Result<()> {
        if !crate::fork::is_owner(self.owner_pid) {
            return Ok(());
        }
        let flushed = self.flush();
        let db = self.db.write().take();
        self.cache.clear();
        let closed = guard("closing the file", || {
            drop(db);
            Ok(())
        });
        flushed.and(closed)
    }
}

fn read_record(
    sessions: &impl ReadableTable<IdKey, &'static [u8]>,
    id: &SessionId,
) -> Result<Option<Record>> {
    match sessions.get(id.as_bytes())? {
        Some(bytes) => codec::decode_record(id, bytes.value()).map(Some),
        None => Ok(None),
    }
}

fn user_sessions(
    table: &impl ReadableTable<(&'static str, IdKey), ()>,
    user: &str,
) -> Result<Vec<SessionId>> {
    let mut ids = Vec::new();
    for entry in table.range((user, &LOW)..=(user, &HIGH))? {
        let (key, _) = entry?;
        ids.push(SessionId::from_bytes(*key.value().1));
    }
    Ok(ids)
}

fn users_after(
    table: &impl ReadableTable<&'static str, u64>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>> {
    use std::ops::Bound;
    let start = match after {
        Some(after) => Bound::Excluded(after),
        None => Bound::Unbounded,
    };
    let mut users = Vec::new();
    for entry in table.range::<&str>((start, Bound::Unbounded))? {
        if users.len() >= limit {
            break;
        }
        let (key, _) = entry?;
        users.push(key.value().to_owned());
    }
    Ok(users)
}

fn due(
    table: &impl ReadableTable<(i64, IdKey), ()>,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<SessionId>> {
    let mut ids = Vec::new();
    for entry in table.range(..=(now.as_millis(), &HIGH))? {
        if ids.len() >= limit {
            break;
        }
        let (key, _) = entry?;
        ids.push(SessionId::from_bytes(*key.value().1));
    }
    Ok(ids)
}

/// The index reads, the same over a read and a write transaction (their
/// tables have the same names and implement `ReadableTable`).
macro_rules! index_reads {
    () => {
        fn user_sessions(&self, user: &str) -> Result<Vec<SessionId>> {
            user_sessions(self.user_sessions_t()?, user)
        }

        fn users_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
            users_after(self.users_t()?, after, limit)
        }

        fn due(&self, which: Due, now: Timestamp, limit: usize) -> Result<Vec<SessionId>> {
            match which {
                Due::Live => due(self.live_expiry_t()?, now, limit),
                Due::Ended => due(self.ended_expiry_t()?, now, limit),
            }
        }

        fn live_records(&self) -> Result<u64> {
            Ok(self.live_expiry_t()?.len()?)
        }

        fn user_count(&self) -> Result<u64> {
            Ok(self.users_t()?.len()?)
        }

        fn get_refresh(&self, key: &[u8; 32]) -> Result<Option<(Timestamp, Vec<u8>)>> {
            Ok(self.refresh_t()?.get(key)?.map(|v| {
                let (until, bytes) = v.value();
                (Timestamp::from_millis(until), bytes.to_vec())
            }))
        }

        fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
            Ok(self.meta_t()?.get(key)?.map(|v| v.value().to_vec()))
        }
    };
}

struct RedbRead {
    meta: redb::ReadOnlyTable<&'static str, &'static [u8]>,
    sessions: redb::ReadOnlyTable<IdKey, &'static [u8]>,
    live_expiry: redb::ReadOnlyTable<(i64, IdKey), ()>,
    ended_expiry: redb::ReadOnlyTable<(i64, IdKey), ()>,
    user_sessions: redb::ReadOnlyTable<(&'static str, IdKey), ()>,
    users: redb::ReadOnlyTable<&'static str, u64>,
    refresh: redb::ReadOnlyTable<IdKey, (i64, &'static [u8])>,
}

/// The tables of a read transaction, under the names `index_reads!` uses.
impl RedbRead {
    fn meta_t(&self) -> Result<&redb::ReadOnlyTable<&'static str, &'static [u8]>> {
        Ok(&self.meta)
    }
    fn user_sessions_t(&self) -> Result<&redb::ReadOnlyTable<(&'static str, IdKey), ()>> {
        Ok(&self.user_sessions)
    }
    fn users_t(&self) -> Result<&redb::ReadOnlyTable<&'static str, u64>> {
        Ok(&self.users)
    }
    fn live_expiry_t(&self) -> Result<&redb::ReadOnlyTable<(i64, IdKey), ()>> {
        Ok(&self.live_expiry)
    }
    fn ended_expiry_t(&self) -> Result<&redb::ReadOnlyTable<(i64, IdKey), ()>> {
        Ok(&self.ended_expiry)
    }
    fn refresh_t(&self) -> Result<&redb::ReadOnlyTable<IdKey, (i64, &'static [u8])>> {
        Ok(&self.refresh)
    }
}

impl ReadView for RedbRead {
    fn get(&self, id: &SessionId) -> Result<Option<Record>> {
        read_record(&self.sessions, id)
    }

    index_reads!();
}

/// A table of a write transaction, opened on first use: a batch that only
/// creates anonymous sessions never opens the user or refresh tables, and
/// every table opened costs work at commit.
struct LazyTable<'t, K: redb::Key + 'static, V: redb::Value + 'static> {
    definition: TableDefinition<'static, K, V>,
    table: OnceCell<Table<'t, K, V>>,
}

impl<'t, K: redb::Key + 'static, V: redb::Value + 'static> LazyTable<'t, K, V> {
    fn new(definition: TableDefinition<'static, K, V>) -> Self {
        LazyTable {
            definition,
            table: OnceCell::new(),
        }
    }

    fn get(&self, txn: &'t WriteTransaction) -> Result<&Table<'t, K, V>> {
        if self.table.get().is_none() {
            let table = txn.open_table(self.definition)?;
            let _ = self.table.set(table);
        }
        self.table
            .get()
            .ok_or_else(|| Error::storage("internal error: a table did not open"))
    }

    fn get_mut(&mut self, txn: &'t WriteTransaction) -> Result<&mut Table<'t, K, V>> {
        self.get(txn)?;
        self.table
            .get_mut()
            .ok_or_else(|| Error::storage("internal error: a table did not open"))
    }
}

/// The tables of one write transaction, and what it changed.
struct RedbWrite<'t> {
    txn: &'t WriteTransaction,
    meta: LazyTable<'t, &'static str, &'static [u8]>,
    sessions: LazyTable<'t, IdKey, &'static [u8]>,
    live_expiry: LazyTable<'t, (i64, IdKey), ()>,
    ended_expiry: LazyTable<'t, (i64, IdKey), ()>,
    user_sessions: LazyTable<'t, (&'static str, IdKey), ()>,
    users: LazyTable<'t, &'static str, u64>,
    refresh: LazyTable<'t, IdKey, (i64, &'static [u8])>,
    refresh_expiry: LazyTable<'t, (i64, IdKey), ()>,
    /// Records written in this transaction, for reads of the same batch and
    /// for the cache after commit (`None`: deleted).
    changes: HashMap<SessionId, Option<Record>>,
    /// A storage operation failed part way: the batch must not commit.
    failed: bool,
}

impl<'t> RedbWrite<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<RedbWrite<'t>> {
        Ok(RedbWrite {
            txn,
            meta: LazyTable::new(META),
            sessions: LazyTable::new(SESSIONS),
            live_expiry: LazyTable::new(LIVE_EXPIRY),
            ended_expiry: LazyTable::new(ENDED_EXPIRY),
            user_sessions: LazyTable::new(USER_SESSIONS),
            users: LazyTable::new(USERS),
            refresh: LazyTable::new(REFRESH),
            refresh_expiry: LazyTable::new(REFRESH_EXPIRY),
            changes: HashMap::new(),
            failed: false,
        })
    }

    fn meta_t(&self) -> Result<&Table<'t, &'static str, &'static [u8]>> {
        self.meta.get(self.txn)
    }
    fn user_sessions_t(&self) -> Result<&Table<'t, (&'static str, IdKey), ()>> {
        self.user_sessions.get(self.txn)
    }
    fn users_t(&self) -> Result<&Table<'t, &'static str, u64>> {
        self.users.get(self.txn)
    }
    fn live_expiry_t(&self) -> Result<&Table<'t, (i64, IdKey), ()>> {
        self.live_expiry.get(self.txn)
    }
    fn ended_expiry_t(&self) -> Result<&Table<'t, (i64, IdKey), ()>> {
        self.ended_expiry.get(self.txn)
    }
    fn refresh_t(&self) -> Result<&Table<'t, IdKey, (i64, &'static [u8])>> {
        self.refresh.get(self.txn)
    }

    /// Marks the batch failed if `result` is an error.
    fn guard<T>(&mut self, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn unindex(&mut self, id: &SessionId, record: &Record) -> Result<()> {
        let key = id.as_bytes();
        match record {
            Record::Live(live) => {
                self.live_expiry
                    .get_mut(self.txn)?
                    .remove((live.expires_at.as_millis(), key))?;
                if let Some(user) = live.user.as_deref() {
                    self.user_sessions.get_mut(self.txn)?.remove((user, key))?;
                    let left = self
                        .users
                        .get(self.txn)?
                        .get(user)?
                        .map_or(0, |v| v.value());
                    if left <= 1 {
                        self.users.get_mut(self.txn)?.remove(user)?;
                    } else {
                        self.users.get_mut(self.txn)?.insert(user, left - 1)?;
                    }
                }
            }
            Record::Ended { until, .. } => {
                self.ended_expiry
                    .get_mut(self.txn)?
                    .remove((until.as_millis(), key))?;
            }
        }
        Ok(())
    }

    fn index(&mut self, id: &SessionId, record: &Record) -> Result<()> {
        let key = id.as_bytes();
        match record {
            Record::Live(live) => {
                self.live_expiry
                    .get_mut(self.txn)?
                    .insert((live.expires_at.as_millis(), key), ())?;
                if let Some(user) = live.user.as_deref() {
                    let before = self
                        .user_sessions
                        .get_mut(self.txn)?
                        .insert((user, key), ())?
                        .is_some();
                    if !before {
                        let count = self
                            .users
                            .get(self.txn)?
                            .get(user)?
                            .map_or(0, |v| v.value());
                        self.users.get_mut(self.txn)?.insert(user, count + 1)?;
                    }
                }
            }
            Record::Ended { until, .. } => {
                self.ended_expiry
                    .get_mut(self.txn)?
                    .insert((until.as_millis(), key), ())?;
            }
        }
        Ok(())
    }

    fn put_inner(&mut self, id: SessionId, record: Record) -> Result<()> {
        let old = self.get(&id)?;
        let same_index = old.as_ref().is_some_and(|old| {
            old.is_live() == record.is_live()
                && old.sweep_at() == record.sweep_at()
                && old.indexed_user() == record.indexed_user()
        });
        if !same_index {
            if let Some(old) = &old {
                self.unindex(&id, old)?;
            }
            self.index(&id, &record)?;
        }
        let bytes = codec::encode_record(&id, &record)?;
        self.sessions
            .get_mut(self.txn)?
            .insert(id.as_bytes(), bytes.as_slice())?;
        self.changes.insert(id, Some(record));
        Ok(())
    }

    fn delete_inner(&mut self, id: &SessionId) -> Result<()> {
        if let Some(old) = self.get(id)? {
            self.unindex(id, &old)?;
            self.sessions.get_mut(self.txn)?.remove(id.as_bytes())?;
        }
        self.changes.insert(*id, None);
        Ok(())
    }

    fn put_refresh_inner(&mut self, key: [u8; 32], value: Vec<u8>, until: Timestamp) -> Result<()> {
        let old_until = self.refresh.get(self.txn)?.get(&key)?.map(|v| v.value().0);
        if let Some(old_until) = old_until {
            self.refresh_expiry
                .get_mut(self.txn)?
                .remove((old_until, &key))?;
        }
        self.refresh
            .get_mut(self.txn)?
            .insert(&key, (until.as_millis(), value.as_slice()))?;
        self.refresh_expiry
            .get_mut(self.txn)?
            .insert((until.as_millis(), &key), ())?;
        Ok(())
    }

    fn delete_refresh_inner(&mut self, key: &[u8; 32]) -> Result<()> {
        let old_until = self
            .refresh
            .get_mut(self.txn)?
            .remove(key)?
            .map(|v| v.value().0);
        if let Some(old_until) = old_until {
            self.refresh_expiry
                .get_mut(self.txn)?
                .remove((old_until, key))?;
        }
        Ok(())
    }

    fn sweep_refresh_inner(&mut self, now: Timestamp, limit: usize) -> Result<usize> {
        let mut due_keys = Vec::new();
        for entry in self
            .refresh_expiry
            .get(self.txn)?
            .range(..=(now.as_millis(), &HIGH))?
        {
            if due_keys.len() >= limit {
                break;
            }
            let (key, _) = entry?;
            let (until, k) = key.value();
            due_keys.push((until, *k));
        }
        for (until, key) in &due_keys {
            self.refresh_expiry
                .get_mut(self.txn)?
                .remove((*until, key))?;
            self.refresh.get_mut(self.txn)?.remove(key)?;
        }
        Ok(due_keys.len())
    }
}

impl ReadView for RedbWrite<'_> {
    fn get(&self, id: &SessionId) -> Result<Option<Record>> {
        if let Some(change) = self.changes.get(id) {
            return Ok(change.clone());
        }
        read_record(self.sessions.get(self.txn)?, id)
    }

    index_reads!();
}

impl WriteView for RedbWrite<'_> {
    fn put(&mut self, id: SessionId, record: Record) -> Result<()> {
        let result = self.put_inner(id, record);
        self.guard(result)
    }

    fn delete(&mut self, id: &SessionId) -> Result<()> {
        let result = self.delete_inner(id);
        self.guard(result)
    }

    fn put_refresh(&mut self, key: [u8; 32], value: Vec<u8>, until: Timestamp) -> Result<()> {
        let result = self.put_refresh_inner(key, value, until);
        self.guard(result)
    }

    fn delete_refresh(&mut self, key: &[u8; 32]) -> Result<()> {
        let result = self.delete_refresh_inner(key);
        self.guard(result)
    }

    fn sweep_refresh(&mut self, now: Timestamp, limit: usize) -> Result<usize> {
        let result = self.sweep_refresh_inner(now, limit);
        self.guard(result)
    }

    fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<()> {
        let result = match self.meta.get_mut(self.txn) {
            Ok(table) => table.insert(key, value).map(|_| ()).map_err(Error::from),
            Err(err) => Err(err),
        };
        self.guard(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EndReason;

    #[test]
    fn a_format_1_file_opens_its_records_read_and_it_is_marked_format_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let id = SessionId::from_bytes([5; 32]);
        let record = Record::Ended {
            reason: EndReason::Logout,
            ended_at: Timestamp::from_millis(10),
            until: Timestamp::from_millis(4_000_000_000_000),
        };
        {
            // What a format-1 build wrote: a format byte, then bincode.
            let mut old = vec![1u8];
            bincode::serde::encode_into_std_write(&record, &mut old, bincode::config::standard())
                .unwrap();
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                meta.insert(FORMAT_KEY, 1u64.to_be_bytes().as_slice())
                    .unwrap();
                let mut sessions = txn.open_table(SESSIONS).unwrap();
                sessions.insert(id.as_bytes(), old.as_slice()).unwrap();
                let mut ended = txn.open_table(ENDED_EXPIRY).unwrap();
                ended
                    .insert((record.sweep_at().as_millis(), id.as_bytes()), ())
                    .unwrap();
            }
            txn.commit().unwrap();
        }
        let storage = RedbStorage::open(&path, 10, false).unwrap();
        assert_eq!(storage.load(&id).unwrap(), Some(record));
        storage.close().unwrap();
        let db = Database::create(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let format = txn
            .open_table(META)
            .unwrap()
            .get(FORMAT_KEY)
            .unwrap()
            .unwrap();
        assert_eq!(format.value(), FILE_FORMAT.to_be_bytes().as_slice());
    }
}
