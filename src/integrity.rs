//! Care of a store file: [`Store::check`] (a read-only walk over every
//! record and index) and [`Store::repair`] (a salvage copy of what is
//! intact into a fresh file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::codec;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::record::Record;
use crate::storage::redb::RedbStorage;
use crate::storage::Storage;
use crate::store::Store;
use crate::token::SessionId;

/// What [`Store::check`] found.
///
/// Problems are described with session ids (public handles), never tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// Records of live sessions (expired ones not yet swept included).
    pub sessions: u64,
    /// Records of ended sessions kept to report why they ended.
    pub ended: u64,
    /// Refresh-token records.
    pub refresh_tokens: u64,
    /// Records that could not be read back intact (each is also a problem).
    pub damaged_records: u64,
    /// Everything that is wrong, one sentence each; empty when the file is sound.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report as a JSON object (what the C face returns).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }
}

/// What [`Store::repair`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RepairReport {
    /// Whether the file was sound (after redb's own recovery): then nothing
    /// was copied and `damaged_copy` is `None`.
    pub was_sound: bool,
    /// Sessions (live and ended records) copied into the new file.
    pub salvaged: u64,
    /// Intact records left out: expired, or an older copy of a record.
    pub skipped: u64,
    /// Where the damaged original was moved (kept for inspection).
    pub damaged_copy: Option<PathBuf>,
}

impl RepairReport {
    /// The report as a JSON object (what the C face returns).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

impl Store {
    /// Walks every record and index of the store and reports what is
    /// damaged or inconsistent, without changing anything.
    ///
    /// A damaged record makes only its own session fail (`Corrupt`); a
    /// damaged index can hide sessions from `sessions_of` or the sweeper.
    /// `check` finds both. When its report is not [`ok`](CheckReport::is_ok),
    /// stop the application and run [`Store::repair`].
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// store.create(NewSession::for_user("ada"))?;
    /// let report = store.check()?;
    /// assert!(report.is_ok());
    /// assert_eq!(report.sessions, 1);
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn check(&self) -> Result<CheckReport> {
        self.inner.check()?;
        self.inner.storage.check().map_err(|e| e.during("check"))
    }

    /// Repairs the store file at `path`, which no process may have open.
    ///
    /// First redb's own recovery runs (it rebuilds the allocator state of a
    /// file that was not closed cleanly). If the file then opens and
    /// [`check`](Store::check) finds nothing wrong, nothing else is done.
    /// Otherwise every intact session record is salvaged: the raw file is
    /// scanned for records (each carries its id, its length and a checksum,
    /// so a record is recognised without the file's B-tree), the newest copy
    /// of each session is kept, an ended session stays ended, expired ones
    /// are dropped, and they are written with fresh indexes into a new file
    /// that takes the original's place. The original is kept beside it as
    /// `<name>.damaged-<unix ms>`.
    ///
    /// What is lost: records on damaged pages; refresh tokens (clients sign
    /// in or create a new pair); and, if the record saying that a session
    /// was ended was itself lost, an older copy of that session may come
    /// back: after a repair, end the sessions of users who must be signed
    /// out (`destroy_user`).
    pub fn repair(path: impl AsRef<Path>, config: Config) -> Result<RepairReport> {
        repair(path.as_ref(), config).map_err(|e| e.during("repair"))
    }
}

fn repair(path: &Path, config: Config) -> Result<RepairReport> {
    config.validate()?;
    let now = config.clock.now();
    match Store::open(path, config.clone().sweep_interval(None)) {
        Ok(store) => {
            let report = store.check();
            store.close()?;
            if report.is_ok_and(|r| r.is_ok()) {
                return Ok(RepairReport {
                    was_sound: true,
                    salvaged: 0,
                    skipped: 0,
                    damaged_copy: None,
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::Locked || e.kind() == ErrorKind::InvalidArgument => {
            return Err(e)
        }
        Err(_) => {}
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::io(format!("could not read {}", path.display()), e))?;
    let found = codec::salvage(&bytes);
    let mut newest: HashMap<SessionId, Record> = HashMap::new();
    let mut skipped = 0u64;
    for (id, record) in found {
        match newest.get(&id) {
            Some(kept) if !newer(&record, kept) => skipped += 1,
            Some(_) => {
                skipped += 1;
                newest.insert(id, record);
            }
            None => {
                newest.insert(id, record);
            }
        }
    }
    let before = newest.len();
    newest.retain(|_, record| record.sweep_at() > now);
    skipped += (before - newest.len()) as u64;

    let mut fresh_name = path.as_os_str().to_owned();
    fresh_name.push(".repairing");
    let fresh = PathBuf::from(fresh_name);
    let _ = std::fs::remove_file(&fresh);
    let salvaged = newest.len() as u64;
    {
        let storage = RedbStorage::open(&fresh, 0, false)?;
        let records: Vec<(SessionId, Record)> = newest.into_iter().collect();
        for chunk in records.chunks(1000) {
            let chunk = chunk.to_vec();
            storage.write(
                Box::new(move |view| {
                    for (id, record) in chunk {
                        view.put(id, record)?;
                    }
                    Ok(())
                }),
                true,
            )?;
        }
        storage.close()?;
    }
    let mut damaged_name = path.as_os_str().to_owned();
    damaged_name.push(format!(".damaged-{}", now.as_millis()));
    let damaged = PathBuf::from(damaged_name);
    std::fs::rename(path, &damaged)
        .map_err(|e| Error::io(format!("could not move {} aside", path.display()), e))?;
    std::fs::rename(&fresh, path).map_err(|e| {
        Error::io(
            format!("could not move the repaired file to {}", path.display()),
            e,
        )
    })?;
    Ok(RepairReport {
        was_sound: false,
        salvaged,
        skipped,
        damaged_copy: Some(damaged),
    })
}

/// Whether `candidate` should replace `kept` as the copy of one session:
/// an ended session stays ended; otherwise the later change wins.
fn newer(candidate: &Record, kept: &Record) -> bool {
    match (candidate, kept) {
        (Record::Ended { ended_at: a, .. }, Record::Ended { ended_at: b, .. }) => a > b,
        (Record::Ended { .. }, Record::Live(_)) => true,
        (Record::Live(_), Record::Ended { .. }) => false,
        (Record::Live(a), Record::Live(b)) => {
            (a.version, a.last_update, a.last_access) > (b.version, b.last_update, b.last_access)
        }
    }
}
