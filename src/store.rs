//! The store: every session operation.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::sync::Mutex;

use crate::clock::Timestamp;
use crate::codec;
use crate::config::{Config, Durability};
use crate::error::{EndReason, Error, Result};
use crate::lifetime::Lifetime;
use crate::record::{LiveRecord, Record};
use crate::session::{Meta, NewSession, Session, MAX_KEY_BYTES, MAX_META_BYTES, MAX_USER_BYTES};
use crate::storage::redb::RedbStorage;
use crate::storage::{Due, Storage, WriteView};
use crate::sweeper::Housekeeper;
use crate::token::{fill_random, SessionId, Token, TokenFormat};
use crate::touch::Touches;
use crate::value::{Data, Value};

/// An open session store. Cheap to clone; every clone is the same store.
///
/// `Store` is `Send + Sync`: share it between threads (or clone it into
/// each), and every operation is atomic and linearizable.
///
/// # Durability
///
/// With [`Durability::Immediate`] (the default) a call that changes a
/// session returns after the change is on disk; concurrent writers share
/// one commit. With [`Durability::Periodic`] changes are visible at once and
/// on disk within the interval. Reads never write to disk on every call
/// (see [`Config::touch_interval`]).
///
/// # Locking and processes
///
/// By default one process owns a store file (exclusive mode, the fastest):
/// a second `open` of the same file, from this process or another, fails at
/// once with [`ErrorKind::Locked`](crate::ErrorKind::Locked).
///
/// With [`Config::shared`] the processes of one machine (the workers of a
/// prefork server, a cron job, an admin command) open one file together.
/// Every read sees every write any process committed before it began (no
/// cache is kept across calls), writers of one process still share one
/// commit and processes take turns on the file's write lock, every commit is
/// durable, and only one process at a time runs the background sweep (a
/// lease in the file). A process killed while it holds the write lock stops
/// nobody: the lock dies with it and its unfinished transaction is dropped.
/// Idle expiry stays safe across processes: a session read in one process
/// (noted in that process's memory only) is never expired or swept by
/// another within its idle timeout, because expiry counts from the stored
/// last access plus one touch interval; so in shared mode a session may
/// outlive its idle timeout by up to [`Config::touch_interval`].
///
/// A `Store` inherited through `fork()` refuses every call, in both modes:
/// open the store in the worker, after the fork.
///
/// # Close semantics
///
/// [`Store::close`] makes every change durable, stops the background
/// sweeper and releases the file; later calls on any clone fail. Dropping
/// the last clone does the same. Without a close, nothing acknowledged is
/// lost: `Immediate` changes are on disk already.
///
/// ```
/// use coatcheck::{Config, NewSession, Store};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("sessions.redb");
/// let store = Store::open(&path, Config::default())?;
/// let session = store.create(NewSession::default().insert("cart", vec![coatcheck::Value::from("apple")]))?;
/// let token = session.token().unwrap().to_owned();   // goes into the cookie
///
/// store.set(&token, "theme", "dark")?;
/// let again = store.get(&token)?;
/// assert_eq!(again.get("theme").and_then(|v| v.as_str()), Some("dark"));
/// store.close()?;
/// # Ok::<(), coatcheck::Error>(())
/// ```
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("config", &self.inner.config)
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Counters and sizes of a store, from [`Store::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Live sessions.
    pub sessions: u64,
    /// Users with at least one live session.
    pub users: u64,
    /// Size of the store file (0 in memory).
    pub file_bytes: u64,
    /// Write transactions committed since open.
    pub commits: u64,
    /// Of those, the ones made durable (one fsync each).
    pub durable_commits: u64,
    /// Sessions removed by sweeps since open.
    pub sessions_swept: u64,
    /// Reads served from the cache.
    pub cache_hits: u64,
    /// Reads that went to storage.
    pub cache_misses: u64,
    /// Session events dropped because the hook's queue was full.
    pub events_dropped: u64,
}

/// What a change did to the session, decided by the change itself.
pub(crate) enum Outcome<T> {
    /// Nothing changed: nothing is written, the version stays.
    Unchanged(T),
    /// Data, flash or user changed: the version moves.
    Versioned(T),
    /// Something else changed (lifetime, meta): written, version stays.
    Unversioned(T),
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) tokens: TokenFormat,
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) touches: Touches,
    /// The access keys, ready to clone (each key's pads are hashed once,
    /// not on every token): the first signs, any verifies.
    pub(crate) access_keys: Vec<crate::pairs::AccessKey>,
    /// Where committed session events go, if the config has a hook.
    pub(crate) events: Option<crate::events::Dispatcher>,
    path: Option<std::path::PathBuf>,
    owner_pid: u32,
    fork_generation: u64,
    closed: AtomicBool,
    swept: AtomicU64,
    housekeeper: Mutex<Option<Housekeeper>>,
    /// Who this store is in the sweeper lease of a shared file.
    sweeper_id: u64,
}

impl Store {
    /// Opens the store file at `path`, creating it if needed.
    ///
    /// Fails with `InvalidArgument` naming the field if `config` is out of
    /// range, `Locked` if another `Store` has the file open, `Corrupt` if the
    /// file is not a coatcheck store (text, random bytes, another program's
    /// redb file), is damaged, or is from a newer version. An empty file
    /// (zero bytes, as `touch` leaves it) is taken for a new store.
    pub fn open(path: impl AsRef<Path>, config: Config) -> Result<Store> {
        let path = path.as_ref();
        (|| {
            config.validate()?;
            let storage = RedbStorage::open(path, config.cache_capacity, config.shared)?;
            Store::start(Box::new(storage), config, Some(path.to_path_buf()))
        })()
        .map_err(|e| e.during("open"))
    }

    /// A store that lives in memory only: for tests and caches.
    pub fn in_memory(config: Config) -> Result<Store> {
        (|| {
            config.validate()?;
            let storage = RedbStorage::in_memory(config.cache_capacity)?;
            Store::start(Box::new(storage), config, None)
        })()
        .map_err(|e| e.during("in_memory"))
    }

    fn start(
        storage: Box<dyn Storage>,
        config: Config,
        path: Option<std::path::PathBuf>,
    ) -> Result<Store> {
        let on_disk = path.is_some();
        let access_key = match &config.access_key {
            Some(key) => key.clone(),
            None => {
                let mut key = vec![0u8; 32];
                fill_random(&mut key)?;
                key
            }
        };
        let tokens = TokenFormat {
            random_bytes: config.token_bytes,
            prefix: config.token_prefix.clone(),
            timestamp: config.token_timestamp,
        };
        let flush_every = match config.durability {
            Durability::Periodic(every) if on_disk => Some(every),
            // Touches and sweeps commit without an fsync; make them durable
            // well within the touch interval.
            Durability::Immediate if on_disk => Some(config.effective_touch_interval() / 2),
            _ => None,
        };
        let sweep_every = config.sweep_interval;
        let mut sweeper_id = [0u8; 8];
        fill_random(&mut sweeper_id)?;
        let access_keys = std::iter::once(access_key.as_slice())
            .chain(config.retired_access_keys.iter().map(Vec::as_slice))
            .map(crate::pairs::AccessKey::new)
            .collect::<Result<Vec<_>>>()?;
        let events = config.on_event.clone().map(crate::events::Dispatcher::new);
        let inner = Arc::new(Inner {
            events,
            config,
            tokens,
            storage,
            touches: Touches::new(),
            access_keys,
            path,
            owner_pid: std::process::id(),
            fork_generation: crate::fork::generation(),
            closed: AtomicBool::new(false),
            swept: AtomicU64::new(0),
            housekeeper: Mutex::new(None),
            sweeper_id: u64::from_le_bytes(sweeper_id),
        });
        if sweep_every.is_some() || flush_every.is_some() {
            let keeper = Housekeeper::start(Arc::downgrade(&inner), sweep_every, flush_every);
            *inner.housekeeper.lock() = Some(keeper);
        }
        Ok(Store { inner })
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current time on the store's clock ([`Config::clock`]): what
    /// every expiry decision reads. Adapters that compute dates (such as
    /// Django's `set_expiry(datetime)`) should use it rather than the wall
    /// clock, so that a manual clock in tests moves them too.
    pub fn now(&self) -> crate::clock::Timestamp {
        self.inner.now()
    }

    /// Creates a session and returns it with its token (the only time the
    /// token is shown).
    ///
    /// A session created for a user counts against `max_sessions_per_user`:
    /// the least recently used sessions beyond it are evicted.
    pub fn create(&self, new: NewSession) -> Result<Session> {
        self.inner.create(new).map_err(|e| e.during("create"))
    }

    /// The session of `token`, marking it used (sliding expiry).
    ///
    /// Fails with `NotFound`, `Expired` or `Revoked` (all
    /// [`is_not_found`](Error::is_not_found)), or `InvalidToken` for
    /// malformed input.
    pub fn get(&self, token: &str) -> Result<Session> {
        self.inner
            .read_token(token, true)
            .map_err(|e| e.during("get"))
    }

    /// The session of `token`, without marking it used.
    pub fn peek(&self, token: &str) -> Result<Session> {
        self.inner
            .read_token(token, false)
            .map_err(|e| e.during("peek"))
    }

    /// Sets one key. Atomic: concurrent changes of other keys all survive.
    /// Setting a key to the value it holds writes nothing.
    pub fn set(&self, token: &str, key: &str, value: impl Into<Value>) -> Result<()> {
        let value = value.into();
        (|| {
            validate_key(key)?;
            value.validate(key)?;
            let key = key.to_owned();
            self.inner.mutate(self.inner.parse(token)?, move |live, _| {
                if live.data.get(&key) == Some(&value) {
                    return Ok(Outcome::Unchanged(()));
                }
                Arc::make_mut(&mut live.data).insert(key, value);
                Ok(Outcome::Versioned(()))
            })
        })()
        .map_err(|e| e.during("set"))
    }

    /// Removes one key; returns the value it held.
    pub fn remove(&self, token: &str, key: &str) -> Result<Option<Value>> {
        let key = key.to_owned();
        (|| {
            self.inner.mutate(self.inner.parse(token)?, move |live, _| {
                Ok(match Arc::make_mut(&mut live.data).remove(&key) {
                    Some(old) => Outcome::Versioned(Some(old)),
                    None => Outcome::Unchanged(None),
                })
            })
        })()
        .map_err(|e| e.during("remove"))
    }

    /// Read-modify-write of the whole data, atomic.
    ///
    /// `f` runs on a copy of the data; the result is written only if the
    /// session did not change meanwhile, else `f` runs again on the new data
    /// (so it may run more than once: keep it free of side effects). If `f`
    /// leaves the data as it was, nothing is written.
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store, Value};
    /// # let store = Store::in_memory(Config::default())?;
    /// # let token = store.create(NewSession::default())?.token().unwrap().to_owned();
    /// let visits = store.update(&token, |data| {
    ///     let n = data.get("visits").and_then(Value::as_i64).unwrap_or(0) + 1;
    ///     data.insert("visits".into(), n.into());
    ///     n
    /// })?;
    /// assert_eq!(visits, 1);
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn update<R>(&self, token: &str, mut f: impl FnMut(&mut Data) -> R) -> Result<R> {
        (|| {
            let id = self.inner.parse(token)?;
            loop {
                let current = self.inner.read_id(&id, false, None)?;
                let mut data = Data::clone(current.data());
                let out = f(&mut data);
                if data == *current.data() {
                    return Ok(out);
                }
                match self.inner.replace_data(id, current.version(), data) {
                    Ok(_) => return Ok(out),
                    Err(e) if e.kind() == crate::ErrorKind::Conflict => continue,
                    Err(e) => return Err(e),
                }
            }
        })()
        .map_err(|e| e.during("update"))
    }

    /// Replaces the data if the session is still at `version`; returns the
    /// new version. `Conflict` if it moved (optimistic concurrency).
    pub fn replace_if(&self, token: &str, version: u64, data: Data) -> Result<u64> {
        (|| {
            let id = self.inner.parse(token)?;
            self.inner.replace_data(id, version, data)
        })()
        .map_err(|e| e.during("replace_if"))
    }

    /// Ends the session of `token`. Returns whether a session was ended; an
    /// unknown or already ended token is not an error.
    pub fn destroy(&self, token: &str) -> Result<bool> {
        self.end_token(token).map_err(|e| e.during("destroy"))
    }

    /// Ends the session of `token`: [`Store::destroy`] under the name apps use.
    pub fn logout(&self, token: &str) -> Result<bool> {
        self.end_token(token).map_err(|e| e.during("logout"))
    }

    fn end_token(&self, token: &str) -> Result<bool> {
        let id = self.inner.parse(token)?;
        self.inner.end(id, EndReason::Logout)
    }

    /// Gives the session a new token and id, keeping its data; the old token
    /// stops working at once (it reports `Revoked` with reason `rotated`).
    ///
    /// OWASP's session management guidance: renew the session id on any
    /// privilege change, so that an id an attacker planted or saw before
    /// (session fixation) is worthless after it. The CSRF secret rotates
    /// too, and every token pair of the old session ends (`Revoked`,
    /// `rotated`): call `issue_pair` again with the new token.
    pub fn regenerate(&self, token: &str) -> Result<Session> {
        (|| {
            let id = self.inner.parse(token)?;
            self.inner.rotate(id, None)
        })()
        .map_err(|e| e.during("regenerate"))
    }

    /// Attaches `user` to the session, keeping its data (the shopping cart).
    ///
    /// With `regenerate_on_login` (the default) the session gets a new token,
    /// returned on the session; otherwise the returned session carries no
    /// token and the old one stays valid. If the session belonged to another
    /// user, its data and flash are cleared first (as Django's `login` does),
    /// so that nothing leaks from one user to the next. Enforces
    /// `max_sessions_per_user` by evicting the least recently used.
    ///
    /// Every token pair issued before the login ends, with or without
    /// regeneration: its access and refresh tokens report `Revoked`
    /// (`rotated`). A client gets a new pair with `issue_pair` after login.
    pub fn login(&self, token: &str, user: &str) -> Result<Session> {
        (|| {
            validate_user(user)?;
            let id = self.inner.parse(token)?;
            self.inner.rotate(id, Some(user.to_owned()))
        })()
        .map_err(|e| e.during("login"))
    }

    /// Adds a flash value: kept until the next [`Store::take_flash`].
    pub fn flash(&self, token: &str, key: &str, value: impl Into<Value>) -> Result<()> {
        let value = value.into();
        (|| {
            validate_key(key)?;
            value.validate(key)?;
            let key = key.to_owned();
            self.inner.mutate(self.inner.parse(token)?, move |live, _| {
                live.flash.insert(key, value);
                Ok(Outcome::Versioned(()))
            })
        })()
        .map_err(|e| e.during("flash"))
    }

    /// Returns the flash values and removes them, atomically: each is read
    /// once.
    pub fn take_flash(&self, token: &str) -> Result<Data> {
        (|| {
            self.inner.mutate(self.inner.parse(token)?, |live, _| {
                if live.flash.is_empty() {
                    return Ok(Outcome::Unchanged(Data::new()));
                }
                Ok(Outcome::Versioned(std::mem::take(&mut live.flash)))
            })
        })()
        .map_err(|e| e.during("take_flash"))
    }

    /// Gives this session its own lifetime, instead of the configured one;
    /// `None` puts it back on the configured (or remember) lifetime.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use coatcheck::{Config, Lifetime, NewSession, Store};
    /// # let store = Store::in_memory(Config::default())?;
    /// # let token = store.create(NewSession::default())?.token().unwrap().to_owned();
    /// let kiosk = Lifetime::new(Duration::from_secs(120), Duration::from_secs(3600));
    /// store.set_lifetime(&token, kiosk)?;
    /// assert!(store.peek(&token)?.has_custom_lifetime());
    /// store.set_lifetime(&token, None)?;
    /// assert_eq!(store.peek(&token)?.lifetime(), store.config().default_lifetime(false));
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn set_lifetime(&self, token: &str, lifetime: impl Into<Option<Lifetime>>) -> Result<()> {
        let lifetime = lifetime.into();
        (|| {
            if let Some(lifetime) = &lifetime {
                lifetime.validate("lifetime")?;
            }
            self.inner
                .set_attribute(self.inner.parse(token)?, lifetime, |live| {
                    &mut live.lifetime
                })
        })()
        .map_err(|e| e.during("set_lifetime"))
    }

    /// Turns "keep me signed in" on or off: the session then uses the
    /// remember (long) or the default lifetime.
    pub fn set_remember(&self, token: &str, remember: bool) -> Result<()> {
        (|| {
            self.inner
                .set_attribute(self.inner.parse(token)?, remember, |live| {
                    &mut live.remember
                })
        })()
        .map_err(|e| e.during("set_remember"))
    }

    /// Replaces the session's meta (ip, user agent, label).
    pub fn set_meta(&self, token: &str, meta: Meta) -> Result<()> {
        (|| {
            validate_meta(&meta)?;
            self.inner
                .set_attribute(self.inner.parse(token)?, Arc::new(meta), |live| {
                    &mut live.meta
                })
        })()
        .map_err(|e| e.during("set_meta"))
    }

    /// The live sessions of `user`, most recently used first (no tokens).
    pub fn sessions_of(&self, user: &str) -> Result<Vec<Session>> {
        self.inner
            .sessions_of(user)
            .map_err(|e| e.during("sessions_of"))
    }

    /// Users with at least one live session, in order, after `after`, at
    /// most `limit` of them: page with the last user of the previous page.
    pub fn users(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.inner
            .users(after, limit)
            .map_err(|e| e.during("users"))
    }

    /// Ends every session of `user` ("log out everywhere"); returns how many.
    pub fn destroy_user(&self, user: &str) -> Result<usize> {
        self.inner
            .end_user(user.to_owned(), None)
            .map_err(|e| e.during("destroy_user"))
    }

    /// Ends every session of `user` but `keep` ("log out other devices").
    pub fn destroy_user_except(&self, user: &str, keep: &SessionId) -> Result<usize> {
        self.inner
            .end_user(user.to_owned(), Some(*keep))
            .map_err(|e| e.during("destroy_user_except"))
    }

    /// Ends the session with this id (admin); returns whether one was ended.
    pub fn destroy_id(&self, id: &SessionId) -> Result<bool> {
        (|| {
            self.inner.check()?;
            self.inner.end(*id, EndReason::Admin)
        })()
        .map_err(|e| e.during("destroy_id"))
    }

    /// Ends the session with this id only if it belongs to `user`: for a
    /// "your devices" page, where the id comes from the browser and must
    /// never end someone else's session. Returns whether a session was
    /// ended; an id of another user's session, an unknown id and an ended
    /// session all give `false` (the answer tells nothing about other
    /// users). The session reports `Revoked` (`logout`) afterwards.
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// let phone = store.create(NewSession::for_user("ada"))?;
    /// let other = store.create(NewSession::for_user("bob"))?;
    /// assert!(!store.destroy_user_session("ada", &other.id())?);
    /// assert!(store.destroy_user_session("ada", &phone.id())?);
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn destroy_user_session(&self, user: &str, id: &SessionId) -> Result<bool> {
        (|| {
            self.inner.check()?;
            validate_user(user)?;
            let (user, id) = (user.to_owned(), *id);
            self.inner.write(self.inner.durable(), move |inner, view| {
                let now = inner.now();
                let owned = matches!(
                    view.get(&id)?.as_ref(),
                    Some(Record::Live(live)) if live.user.as_deref() == Some(user.as_str())
                );
                if !owned {
                    return Ok(false);
                }
                inner.end_in(view, id, EndReason::Logout, now)
            })
        })()
        .map_err(|e| e.during("destroy_user_session"))
    }

    /// After a password change (or any credential change): ends every other
    /// session of this session's user ("log out everywhere else"), ends
    /// every token pair of this one, and gives it a new token — all in one
    /// atomic step. Returns the session with its new token (set the cookie
    /// again). Fails with `InvalidArgument` for an anonymous session.
    ///
    /// ```
    /// # use coatcheck::{Config, NewSession, Store};
    /// let store = Store::in_memory(Config::default())?;
    /// let laptop = store.create(NewSession::for_user("ada"))?.token().unwrap().to_owned();
    /// let phone = store.create(NewSession::for_user("ada"))?.token().unwrap().to_owned();
    /// let renewed = store.revoke_others_and_regenerate(&laptop)?;
    /// assert!(store.get(&phone).unwrap_err().is_not_found());
    /// assert!(store.get(&laptop).unwrap_err().is_not_found());
    /// assert_eq!(store.get(renewed.token().unwrap())?.user(), Some("ada"));
    /// # Ok::<(), coatcheck::Error>(())
    /// ```
    pub fn revoke_others_and_regenerate(&self, token: &str) -> Result<Session> {
        (|| {
            let id = self.inner.parse(token)?;
            let new_token = self.inner.tokens.generate(self.inner.now())?;
            self.inner.write(self.inner.durable(), move |inner, view| {
                let now = inner.now();
                let record = view.get(&id)?;
                let (live, _, _) = inner.live(&id, record.as_ref(), now)?;
                let Some(user) = live.user.clone() else {
                    return Err(Error::invalid_argument(
                        "the session has no user: there are no other sessions to revoke",
                    ));
                };
                for other in view.user_sessions(&user)? {
                    if other != id {
                        inner.end_in(view, other, EndReason::LogoutEverywhere, now)?;
                    }
                }
                inner.rotate_in(view, id, None, Some(new_token), now)
            })
        })()
        .map_err(|e| e.during("revoke_others_and_regenerate"))
    }

    /// The session with this id (admin), without marking it used.
    pub fn info(&self, id: &SessionId) -> Result<Session> {
        (|| {
            self.inner.check()?;
            self.inner.read_id(id, false, None)
        })()
        .map_err(|e| e.during("info"))
    }

    /// How many live sessions there are.
    pub fn count(&self) -> Result<u64> {
        self.inner
            .counts()
            .map(|c| c.0)
            .map_err(|e| e.during("count"))
    }

    /// How many users have at least one live session.
    pub fn count_users(&self) -> Result<u64> {
        self.inner
            .counts()
            .map(|c| c.1)
            .map_err(|e| e.during("count_users"))
    }

    /// Removes expired sessions (and the records of ended ones past their
    /// keeping time) now, in bounded batches; returns how many sessions were
    /// removed. The background sweeper does the same every `sweep_interval`.
    pub fn sweep(&self) -> Result<usize> {
        self.inner.sweep().map_err(|e| e.during("sweep"))
    }

    /// Makes every change durable now (useful with `Periodic` durability).
    pub fn flush(&self) -> Result<()> {
        (|| {
            self.inner.check()?;
            self.inner.storage.flush()
        })()
        .map_err(|e| e.during("flush"))
    }

    /// Flushes, stops the background sweeper and releases the file. Later
    /// calls on this store (and its clones) fail. Closing twice is harmless.
    pub fn close(&self) -> Result<()> {
        self.inner.close().map_err(|e| e.during("close"))
    }

    /// Whether [`Store::close`] was called (on this store or a clone).
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// The store file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Counters and sizes.
    pub fn stats(&self) -> Result<Stats> {
        (|| {
            let (sessions, users) = self.inner.counts()?;
            let c = self.inner.storage.counters();
            Ok::<_, Error>(Stats {
                sessions,
                users,
                file_bytes: c.file_bytes.unwrap_or(0),
                commits: c.commits,
                durable_commits: c.durable_commits,
                sessions_swept: self.inner.swept.load(Ordering::Relaxed),
                cache_hits: c.cache_hits,
                cache_misses: c.cache_misses,
                events_dropped: self.inner.events.as_ref().map_or(0, |e| e.dropped()),
            })
        })()
        .map_err(|e| e.during("stats"))
    }
}

pub(crate) fn validate_user(user: &str) -> Result<()> {
    if user.is_empty() {
        return Err(Error::invalid_argument("the user id is empty"));
    }
    if user.len() > MAX_USER_BYTES {
        return Err(Error::invalid_argument(format!(
            "the user id is {} bytes, longer than {MAX_USER_BYTES}",
            user.len()
        )));
    }
    Ok(())
}

pub(crate) fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_argument("the key is empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::invalid_argument(format!(
            "the key is {} bytes, longer than {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    Ok(())
}

fn validate_meta(meta: &Meta) -> Result<()> {
    for (name, field) in [
        ("ip", &meta.ip),
        ("user_agent", &meta.user_agent),
        ("label", &meta.label),
    ] {
        if field.as_ref().is_some_and(|v| v.len() > MAX_META_BYTES) {
            return Err(Error::invalid_argument(format!(
                "meta.{name} is longer than {MAX_META_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

fn validate_data(data: &Data) -> Result<()> {
    for (key, value) in data {
        validate_key(key)?;
        value.validate(key)?;
    }
    Ok(())
}

impl Inner {
    pub(crate) fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    /// Runs `f` in the writer, in a transaction shared with concurrent
    /// writers (group commit), and returns what it returns. `f` must check
    /// everything before its first write: an error after a write leaves
    /// that write in the batch (which `refresh` uses on purpose, to revoke
    /// a stolen session and report `TokenReuse`).
    pub(crate) fn write<T: Send + 'static>(
        self: &Arc<Self>,
        durable: bool,
        f: impl FnOnce(&Arc<Inner>, &mut dyn WriteView) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        // The job's value, and the session events it emitted (to be sent
        // once its transaction committed).
        let slot = Arc::new(Mutex::new((None, Vec::new())));
        let out = slot.clone();
        let inner = self.clone();
        let written = self.storage.write(
            Box::new(move |view| {
                let (value, happened) =
                    crate::events::collect(inner.events.is_some(), || f(&inner, view));
                let mut out = out.lock();
                out.1 = happened;
                out.0 = Some(value?);
                Ok(())
            }),
            durable,
        );
        let (value, happened) = std::mem::take(&mut *slot.lock());
        if let Some(dispatcher) = &self.events {
            // A job's own refusal (`TokenReuse` after revoking a stolen
            // session) still commits its writes; a storage failure does not.
            let committed = match &written {
                Ok(()) => true,
                Err(e) => !matches!(
                    e.kind(),
                    crate::ErrorKind::Storage | crate::ErrorKind::Io | crate::ErrorKind::Corrupt
                ),
            };
            if committed && !happened.is_empty() {
                dispatcher.send(happened);
            }
        }
        written?;
        value.ok_or_else(|| Error::storage("internal error: a write finished without a result"))
    }

    /// Refuses calls on a closed store, or on one inherited through fork()
    /// (as far as the at-fork hooks tell; storage checks the process id).
    pub(crate) fn check(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::storage("the store is closed"));
        }
        if crate::fork::generation() != self.fork_generation {
            return Err(crate::fork::inherited(self.owner_pid));
        }
        Ok(())
    }

    /// Checks the store and the token's shape; the token's session id.
    pub(crate) fn parse(&self, token: &str) -> Result<SessionId> {
        self.check()?;
        self.tokens.parse(token)
    }

    pub(crate) fn lifetime_of(&self, live: &LiveRecord) -> Lifetime {
        live.lifetime
            .unwrap_or_else(|| self.config.default_lifetime(live.remember))
    }

    /// When `live` expires, given its last access as this process knows it.
    ///
    /// In shared mode another process may have read the session since its
    /// record was written, and noted that only in its own memory. It would
    /// have persisted the read had the stored last access been a touch
    /// interval old, so the true last access is at most the stored one plus
    /// a touch interval: expiry counts from there. A session is never
    /// reported expired, nor swept, while a process may have used it within
    /// its idle timeout; it may live up to one touch interval longer.
    pub(crate) fn expiry(&self, live: &LiveRecord, last_access: Timestamp) -> Timestamp {
        let last_access = if self.config.shared {
            last_access.max(
                live.last_access
                    .saturating_add(self.config.effective_touch_interval()),
            )
        } else {
            last_access
        };
        self.lifetime_of(live).expires_at(
            self.config.ttl_basis,
            live.created_at,
            last_access,
            live.last_update,
        )
    }

    /// The last access (memory or disk, whichever is later) and the expiry
    /// that follows from it.
    pub(crate) fn effective(&self, id: &SessionId, live: &LiveRecord) -> (Timestamp, Timestamp) {
        let last_access = self.touches.last_access(id, live.last_access);
        (last_access, self.expiry(live, last_access))
    }

    /// The live session in `record`, or the error that says why there is none.
    pub(crate) fn live<'r>(
        &self,
        id: &SessionId,
        record: Option<&'r Record>,
        now: Timestamp,
    ) -> Result<(&'r Arc<LiveRecord>, Timestamp, Timestamp)> {
        match record {
            None => Err(Error::not_found("session with this token or id")),
            Some(Record::Ended { reason, until, .. }) => {
                if *until > now {
                    Err(Error::revoked(*reason))
                } else {
                    Err(Error::not_found("session with this token or id"))
                }
            }
            Some(Record::Live(live)) => {
                let (last_access, expires_at) = self.effective(id, live);
                if expires_at <= now {
                    Err(Error::expired(expires_at))
                } else {
                    Ok((live, last_access, expires_at))
                }
            }
        }
    }

    pub(crate) fn view(
        &self,
        id: SessionId,
        live: &Arc<LiveRecord>,
        last_access: Timestamp,
        expires_at: Timestamp,
        token: Option<Token>,
    ) -> Session {
        Session {
            id,
            token,
            record: live.clone(),
            last_access,
            expires_at,
            lifetime: self.lifetime_of(live),
        }
    }

    fn read_token(self: &Arc<Self>, token: &str, touch: bool) -> Result<Session> {
        let id = self.parse(token)?;
        self.read_id(&id, touch, None)
    }

    /// Reads a session; with `touch`, marks it used.
    pub(crate) fn read_id(
        self: &Arc<Self>,
        id: &SessionId,
        touch: bool,
        token: Option<Token>,
    ) -> Result<Session> {
        self.check()?;
        let record = self.storage.load(id)?;
        let now = self.now();
        let live = match record.as_ref() {
            Some(Record::Live(live)) if touch => live,
            other => {
                let (live, last_access, expires_at) = self.live(id, other, now)?;
                return Ok(self.view(*id, live, last_access, expires_at, token));
            }
        };
        // Check the expiry and note the access under one lock of the
        // in-memory touches: the hot path of every request.
        let stored = live.last_access;
        let noted = self.touches.with(*id, |noted| {
            let last_access = noted.map_or(stored, |n| n.max(stored));
            let expires_at = self.expiry(live, last_access);
            if expires_at <= now {
                return (noted, Err(expires_at));
            }
            (Some(last_access.max(now)), Ok(last_access.max(now)))
        });
        let last_access = noted.map_err(Error::expired)?;
        if now.saturating_since(stored) >= self.config.effective_touch_interval() {
            self.persist_touch(*id, last_access)?;
        }
        let expires_at = self.expiry(live, last_access);
        Ok(self.view(*id, live, last_access, expires_at, token))
    }

    /// Writes a read's time into the record (not durably: a lost touch only
    /// makes the session expire a little early).
    fn persist_touch(self: &Arc<Self>, id: SessionId, at: Timestamp) -> Result<()> {
        let inner = self.clone();
        self.storage.write(
            Box::new(move |view| {
                if let Some(Record::Live(live)) = view.get(&id)?.as_ref() {
                    let last_access = inner.touches.last_access(&id, live.last_access).max(at);
                    if last_access > live.last_access {
                        let mut next = LiveRecord::clone(live);
                        next.last_access = last_access;
                        next.expires_at = inner.expiry(&next, last_access);
                        view.put(id, Record::Live(Arc::new(next)))?;
                        inner.touches.persisted(&id, last_access);
                    }
                }
                Ok(())
            }),
            false,
        )
    }

    pub(crate) fn durable(&self) -> bool {
        matches!(self.config.durability, Durability::Immediate)
    }

    /// Runs a change of one live session in the writer. `f` works on a copy
    /// and says what it changed; the copy is checked and written only if
    /// something did.
    pub(crate) fn mutate<T: Send + 'static>(
        self: &Arc<Self>,
        id: SessionId,
        f: impl FnOnce(&mut LiveRecord, Timestamp) -> Result<Outcome<T>> + Send + 'static,
    ) -> Result<T> {
        self.write(self.durable(), move |inner, view| {
            let now = inner.now();
            let record = view.get(&id)?;
            let (live, last_access, _) = inner.live(&id, record.as_ref(), now)?;
            let mut next = LiveRecord::clone(live);
            let (value, versioned) = match f(&mut next, now)? {
                Outcome::Unchanged(value) => {
                    // Nothing to write, but the request still used the session.
                    inner.touches.note(id, now);
                    return Ok(value);
                }
                Outcome::Versioned(value) => (value, true),
                Outcome::Unversioned(value) => (value, false),
            };
            if versioned {
                inner.check_size(&next)?;
                next.version += 1;
                next.last_update = now;
            }
            if inner.config.destroy_when_empty
                && versioned
                && next.user.is_none()
                && next.data.is_empty()
                && next.flash.is_empty()
            {
                // An anonymous session that became empty (Curveball's lazy
                // sessions): remove it; the caller clears the cookie.
                view.delete(&id)?;
                inner.touches.forget(&id);
                return Ok(value);
            }
            inner.commit_live(view, id, next, last_access.max(now))?;
            Ok(value)
        })
    }

    /// Sets one attribute that is not data (lifetime, remember, meta): no
    /// version bump, and no write when it already holds `value`.
    fn set_attribute<T: PartialEq + Send + 'static>(
        self: &Arc<Self>,
        id: SessionId,
        value: T,
        field: fn(&mut LiveRecord) -> &mut T,
    ) -> Result<()> {
        self.mutate(id, move |live, _| {
            let slot = field(live);
            if *slot == value {
                return Ok(Outcome::Unchanged(()));
            }
            *slot = value;
            Ok(Outcome::Unversioned(()))
        })
    }

    /// Refuses data and flash that together encode to more than
    /// `max_value_bytes`. Called where data or flash change (encoding them
    /// costs, so not on writes that leave them alone).
    pub(crate) fn check_size(&self, live: &LiveRecord) -> Result<()> {
        let size = codec::data_size(&live.data).saturating_add(codec::data_size(&live.flash));
        if size > self.config.max_value_bytes {
            return Err(Error::invalid_argument(format!(
                "the session's data would take {size} bytes, more than max_value_bytes ({})",
                self.config.max_value_bytes
            )));
        }
        Ok(())
    }

    /// Writes a changed live session, with its last access and expiry.
    pub(crate) fn commit_live(
        &self,
        view: &mut dyn WriteView,
        id: SessionId,
        mut next: LiveRecord,
        last_access: Timestamp,
    ) -> Result<Arc<LiveRecord>> {
        next.last_access = last_access;
        next.expires_at = self.expiry(&next, last_access);
        // Records written before the secret was derived from the token lose
        // their stored copy on their next write.
        next.csrf_secret = [0; 32];
        let stored = Arc::new(next);
        view.put(id, Record::Live(stored.clone()))?;
        self.touches.persisted(&id, last_access);
        Ok(stored)
    }

    fn replace_data(self: &Arc<Self>, id: SessionId, version: u64, data: Data) -> Result<u64> {
        validate_data(&data)?;
        self.mutate(id, move |live, _| {
            if live.version != version {
                return Err(Error::conflict(version, live.version));
            }
            if *live.data == data {
                return Ok(Outcome::Unchanged(live.version));
            }
            live.data = Arc::new(data);
            Ok(Outcome::Versioned(live.version + 1))
        })
    }

    fn create(self: &Arc<Self>, new: NewSession) -> Result<Session> {
        self.check()?;
        if let Some(user) = &new.user {
            validate_user(user)?;
        }
        validate_data(&new.data)?;
        validate_meta(&new.meta)?;
        if let Some(lifetime) = &new.lifetime {
            lifetime.validate("lifetime")?;
        }
        let token = self.tokens.generate(self.now())?;
        self.create_with_token(token, new)
    }

    /// Creates a session under a token made elsewhere (tower-sessions ids).
    /// The caller has validated `new`.
    pub(crate) fn create_with_token(
        self: &Arc<Self>,
        token: Token,
        new: NewSession,
    ) -> Result<Session> {
        let id = token.id();
        self.write(self.durable(), move |inner, view| {
            let now = inner.now();
            if view.get(&id)?.is_some() {
                return Err(Error::storage(
                    "a new token collided with an existing session; try again",
                ));
            }
            let mut live = LiveRecord {
                user: new.user.map(Arc::from),
                data: Arc::new(new.data),
                flash: Data::new(),
                created_at: now,
                last_access: now,
                last_update: now,
                remember: new.remember,
                lifetime: new.lifetime,
                meta: Arc::new(new.meta),
                version: 0,
                csrf_secret: [0; 32],
                expires_at: now,
                pair_gen: 0,
                refresh_key: None,
            };
            inner.check_size(&live)?;
            live.expires_at = inner.expiry(&live, now);
            let user = live.user.clone();
            let stored = inner.commit_live(view, id, live, now)?;
            crate::events::emit(|| crate::SessionEvent::Created {
                id,
                user: user.as_deref().map(str::to_owned),
            });
            let session = inner.view(id, &stored, now, stored.expires_at, Some(token));
            if let Some(user) = user {
                crate::user_index::enforce_limit(inner, view, &user, &id, now)?;
            }
            Ok(session)
        })
    }

    /// `regenerate` (user `None`) and `login` (user `Some`).
    fn rotate(self: &Arc<Self>, id: SessionId, user: Option<String>) -> Result<Session> {
        let regenerate = user.is_none() || self.config.regenerate_on_login;
        let new_token = if regenerate {
            Some(self.tokens.generate(self.now())?)
        } else {
            None
        };
        self.write(self.durable(), move |inner, view| {
            let now = inner.now();
            inner.rotate_in(view, id, user.as_deref(), new_token, now)
        })
    }

    /// Inside a write: the body of `regenerate` (user `None`) and `login`
    /// (user `Some`); a new id when `new_token` is given.
    pub(crate) fn rotate_in(
        &self,
        view: &mut dyn WriteView,
        id: SessionId,
        user: Option<&str>,
        new_token: Option<Token>,
        now: Timestamp,
    ) -> Result<Session> {
        let record = view.get(&id)?;
        let (live, last_access, expires_at) = self.live(&id, record.as_ref(), now)?;
        let mut next = LiveRecord::clone(live);
        let mut changed = live.pair_gen > 0;
        let target_id = new_token.as_ref().map_or(id, Token::id);
        crate::pairs::end_pairs_on_rotation(self, view, live, &mut next, id, target_id, now)?;
        if let Some(user) = user {
            if live.user.as_deref() != Some(user) {
                if live.user.is_some() {
                    next.data = Arc::default();
                    next.flash.clear();
                }
                next.user = Some(Arc::from(user));
                next.version += 1;
                next.last_update = now;
                changed = true;
            }
        }
        let target = match &new_token {
            Some(token) => {
                let new_id = token.id();
                if view.get(&new_id)?.is_some() {
                    return Err(Error::storage(
                        "a new token collided with an existing session; try again",
                    ));
                }
                self.commit_live(view, new_id, next.clone(), now)?;
                view.put(
                    id,
                    Record::Ended {
                        reason: EndReason::Rotated,
                        ended_at: now,
                        until: expires_at,
                    },
                )?;
                self.touches.forget(&id);
                new_id
            }
            None => {
                if changed {
                    self.commit_live(view, id, next.clone(), last_access.max(now))?;
                }
                id
            }
        };
        crate::events::emit(|| match user {
            Some(user) => crate::SessionEvent::Login {
                id: target,
                previous_id: id,
                user: user.to_owned(),
            },
            None => crate::SessionEvent::Rotated {
                id: target,
                previous_id: id,
            },
        });
        if let Some(user) = user {
            crate::user_index::enforce_limit(self, view, user, &target, now)?;
        }
        let stored = view.get(&target)?;
        let (live, last_access, expires_at) = self.live(&target, stored.as_ref(), now)?;
        Ok(self.view(target, live, last_access, expires_at, new_token))
    }

    /// Ends one session; whether there was a live one to end.
    pub(crate) fn end(self: &Arc<Self>, id: SessionId, reason: EndReason) -> Result<bool> {
        self.write(self.durable(), move |inner, view| {
            let now = inner.now();
            let ended = inner.end_in(view, id, reason, now)?;
            Ok(ended)
        })
    }

    /// Inside a write: replaces a live session by the record of its end.
    pub(crate) fn end_in(
        &self,
        view: &mut dyn WriteView,
        id: SessionId,
        reason: EndReason,
        now: Timestamp,
    ) -> Result<bool> {
        let record = view.get(&id)?;
        let Some(Record::Live(live)) = record.as_ref() else {
            return Ok(false);
        };
        let (_, expires_at) = self.effective(&id, live);
        if expires_at > now {
            crate::events::emit(|| {
                crate::SessionEvent::end(id, live.user.as_deref().map(str::to_owned), reason)
            });
        }
        if expires_at <= now {
            // Expired already: nothing to tell apart later, just remove it.
            view.delete(&id)?;
        } else {
            view.put(
                id,
                Record::Ended {
                    reason,
                    ended_at: now,
                    until: expires_at,
                },
            )?;
        }
        self.touches.forget(&id);
        Ok(expires_at > now)
    }

    fn end_user(self: &Arc<Self>, user: String, keep: Option<SessionId>) -> Result<usize> {
        self.check()?;
        self.write(self.durable(), move |inner, view| {
            let now = inner.now();
            let mut ended = 0;
            for id in view.user_sessions(&user)? {
                if Some(id) != keep && inner.end_in(view, id, EndReason::LogoutEverywhere, now)? {
                    ended += 1;
                }
            }
            Ok(ended)
        })
    }

    fn sessions_of(&self, user: &str) -> Result<Vec<Session>> {
        self.check()?;
        let now = self.now();
        let mut sessions = Vec::new();
        self.storage.read(&mut |view| {
            sessions = crate::user_index::live_sessions(self, view, user, now)?
                .into_iter()
                .map(|entry| match &entry.record {
                    Record::Live(live) => {
                        Some(self.view(entry.id, live, entry.last_access, entry.expires_at, None))
                    }
                    Record::Ended { .. } => None,
                })
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default();
            Ok(())
        })?;
        sessions.sort_by(|a, b| b.last_access.cmp(&a.last_access).then(a.id.cmp(&b.id)));
        Ok(sessions)
    }

    fn users(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.check()?;
        let now = self.now();
        let mut users = Vec::new();
        self.storage.read(&mut |view| {
            let mut cursor = after.map(str::to_owned);
            while users.len() < limit {
                let page = view.users_after(cursor.as_deref(), 256)?;
                let Some(last) = page.last().cloned() else {
                    break;
                };
                for user in page {
                    if users.len() >= limit {
                        break;
                    }
                    if !crate::user_index::live_sessions(self, view, &user, now)?.is_empty() {
                        users.push(user);
                    }
                }
                cursor = Some(last);
            }
            Ok(())
        })?;
        Ok(users)
    }

    /// (live sessions, users with a live session), not counting sessions
    /// that expired but were not swept yet.
    fn counts(&self) -> Result<(u64, u64)> {
        self.check()?;
        let now = self.now();
        let mut counts = (0, 0);
        self.storage.read(&mut |view| {
            let mut expired = 0u64;
            let mut touched_users = std::collections::BTreeSet::new();
            for id in view.due(Due::Live, now, usize::MAX)? {
                if let Some(Record::Live(live)) = view.get(&id)?.as_ref() {
                    let (_, expires_at) = self.effective(&id, live);
                    if expires_at <= now {
                        expired += 1;
                        if let Some(user) = &live.user {
                            touched_users.insert(user.to_string());
                        }
                    }
                }
            }
            let mut users_gone = 0u64;
            for user in touched_users {
                if crate::user_index::live_sessions(self, view, &user, now)?.is_empty() {
                    users_gone += 1;
                }
            }
            counts = (
                view.live_records()?.saturating_sub(expired),
                view.user_count()?.saturating_sub(users_gone),
            );
            Ok(())
        })?;
        Ok(counts)
    }

    fn sweep(self: &Arc<Self>) -> Result<usize> {
        self.check()?;
        let mut total = 0usize;
        loop {
            let (removed, more) = self.write(false, move |inner, view| {
                let result = crate::sweeper::sweep_batch(inner, view)?;
                Ok(result)
            })?;
            total += removed;
            self.swept.fetch_add(removed as u64, Ordering::Relaxed);
            if !more {
                return Ok(total);
            }
        }
    }

    /// The background sweeper's entry: a sweep, quiet if the store closed.
    /// On a shared file only the process holding the sweeper lease sweeps.
    pub(crate) fn background_sweep(self: &Arc<Self>) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if self.config.shared && !matches!(self.take_sweeper_lease(), Ok(true)) {
            return;
        }
        let _ = self.sweep();
    }

    /// Takes or renews the sweeper lease of a shared file; whether this
    /// store holds it now. The lease lasts two sweep intervals, so when its
    /// holder stops (closed, killed), another process takes over within two
    /// intervals; its holder renews it on every sweep.
    pub(crate) fn take_sweeper_lease(self: &Arc<Self>) -> Result<bool> {
        self.check()?;
        let now = self.now();
        let me = self.sweeper_id;
        // A read first: every process but one finds the lease held, and a
        // read costs no commit.
        let mut free = false;
        self.storage.read(&mut |view| {
            free = SweeperLease::free_for(view.meta(SWEEPER_LEASE)?.as_deref(), me, now);
            Ok(())
        })?;
        if !free {
            return Ok(false);
        }
        let every = self.config.sweep_interval.unwrap_or(DEFAULT_LEASE_INTERVAL);
        let lease = SweeperLease {
            holder: me,
            until: now.saturating_add(every.saturating_mul(2)),
        };
        self.write(true, move |_, view| {
            if !SweeperLease::free_for(view.meta(SWEEPER_LEASE)?.as_deref(), me, now) {
                return Ok(false);
            }
            view.put_meta(SWEEPER_LEASE, &lease.encode())?;
            Ok(true)
        })
    }

    /// The background flusher's entry.
    pub(crate) fn background_flush(&self) {
        if self.closed.load(Ordering::Acquire) || !self.storage.dirty() {
            return;
        }
        let _ = self.storage.flush();
    }

    fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let forked = !crate::fork::is_owner(self.owner_pid)
            || crate::fork::generation() != self.fork_generation;
        if forked {
            // In a forked child the sweeper thread does not exist and its
            // lock may have been held at the fork: leave both alone, and
            // never touch the file (the storage leaks its handle on drop).
            if let Some(mut slot) = self.housekeeper.try_lock() {
                std::mem::forget(slot.take());
            }
            return Ok(());
        }
        if let Some(keeper) = self.housekeeper.lock().take() {
            keeper.stop();
        }
        self.storage.close()
    }
}

/// The meta key of the sweeper lease of a shared file.
const SWEEPER_LEASE: &str = "coatcheck.sweeper";
/// The lease's interval when the background sweeper is off (only explicit
/// calls of `take_sweeper_lease` then take it).
const DEFAULT_LEASE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Which store of the processes sharing a file runs the background sweep,
/// and until when (on the holder's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SweeperLease {
    holder: u64,
    until: Timestamp,
}

impl SweeperLease {
    fn encode(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.holder.to_be_bytes());
        out[8..].copy_from_slice(&self.until.as_millis().to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<SweeperLease> {
        let holder = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let until = i64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
        Some(SweeperLease {
            holder,
            until: Timestamp::from_millis(until),
        })
    }

    /// Whether `me` may take the stored lease at `now`: nobody holds it, it
    /// lapsed, it is `me`'s already, or it is unreadable (a damaged lease
    /// must not stop every sweep for good).
    fn free_for(stored: Option<&[u8]>, me: u64, now: Timestamp) -> bool {
        match stored.and_then(SweeperLease::decode) {
            Some(lease) => lease.holder == me || lease.until <= now,
            None => true,
        }
    }
}

impl Store {
    /// Applies a batch of changes to the session of `token` at once: one
    /// atomic write, one commit (see [`Changes`](crate::Changes)).
    ///
    /// Everything is checked first: a bad key or value, a bad lifetime, or
    /// a session that would grow past `max_value_bytes` fails with
    /// `InvalidArgument` and changes nothing. The version moves once if the
    /// data or flash changed; a lifetime or remember change alone keeps it.
    /// Only the keys named change, so concurrent batches on different keys
    /// all survive (no `Conflict`). An empty batch, or one that leaves the
    /// session as it was, writes nothing but still fails if the session
    /// ended: a batch never brings back a session (`NotFound`, `Expired`,
    /// `Revoked` as [`Store::get`]).
    pub fn apply(&self, token: &str, changes: crate::changes::Changes) -> Result<()> {
        (|| {
            changes.validate()?;
            let id = self.inner.parse(token)?;
            // A batch that changes nothing (a request that only read its
            // session) is a read: no write job, no commit.
            let current = self.inner.read_id(&id, false, None)?;
            if !changes.would_change(&current.record) {
                return Ok(());
            }
            self.inner
                .mutate(id, move |live, _| Ok(changes.apply_to(live)))
        })()
        .map_err(|e| e.during("apply"))
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::time::Duration;

    #[test]
    fn a_lease_is_free_when_absent_lapsed_damaged_or_ours() {
        let now = Timestamp::from_millis(1_000);
        let held = SweeperLease {
            holder: 7,
            until: Timestamp::from_millis(2_000),
        }
        .encode();
        assert!(SweeperLease::free_for(None, 1, now));
        assert!(SweeperLease::free_for(Some(&held), 7, now));
        assert!(!SweeperLease::free_for(Some(&held), 1, now));
        assert!(SweeperLease::free_for(
            Some(&held),
            1,
            Timestamp::from_millis(2_000)
        ));
        assert!(SweeperLease::free_for(Some(b"short"), 1, now));
    }

    #[test]
    fn one_store_of_a_shared_file_holds_the_sweeper_lease_until_it_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lease.redb");
        let clock = ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000));
        let config = Config::default()
            .shared(true)
            .sweep_interval(None)
            .clock(clock.clone());
        // Two handles in one process exclude each other like two processes
        // (redb locks open file descriptions on Linux).
        let a = Store::open(&path, config.clone()).unwrap();
        let b = Store::open(&path, config).unwrap();
        assert!(a.inner.take_sweeper_lease().unwrap());
        assert!(!b.inner.take_sweeper_lease().unwrap());
        assert!(
            a.inner.take_sweeper_lease().unwrap(),
            "its holder renews it"
        );
        // Its holder stops sweeping: after two intervals another takes over.
        clock.advance(Duration::from_secs(121));
        assert!(b.inner.take_sweeper_lease().unwrap());
        assert!(!a.inner.take_sweeper_lease().unwrap());
    }
}
