//! `coatcheck.Store`: every engine operation, with the GIL released while
//! the engine works.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coatcheck::{Config, Data, Durability, NewSession, SessionId, Store, TtlBasis};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyString, PyType};

use crate::clock::PyManualClock;
use crate::convert;
use crate::errors::{to_pyerr, IntoPy};
use crate::session::{PyLifetime, PyMeta, PySession, PyStats, PyTokenPair};

/// `sweep_interval`: the default (60 s), off (`None`), or a duration.
pub enum Sweep {
    Default,
    Off,
    Every(Duration),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Sweep {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_none() {
            Ok(Sweep::Off)
        } else {
            convert::to_duration(&obj, "sweep_interval").map(Sweep::Every)
        }
    }
}

fn opt_duration(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Duration>> {
    obj.map(|o| convert::to_duration(o, what)).transpose()
}

fn durability(obj: &Bound<'_, PyAny>) -> PyResult<Durability> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match &*s.to_cow()? {
            "immediate" => Ok(Durability::Immediate),
            other => Err(PyValueError::new_err(format!(
                "durability must be 'immediate' or a timedelta (periodic flushes), got {}",
                convert::py_repr(other)
            ))),
        };
    }
    convert::to_duration(obj, "durability").map(Durability::Periodic)
}

fn ttl_basis(name: &str) -> PyResult<TtlBasis> {
    match name {
        "last_access" => Ok(TtlBasis::LastAccess),
        "last_update" => Ok(TtlBasis::LastUpdate),
        "created" => Ok(TtlBasis::Created),
        other => Err(PyValueError::new_err(format!(
            "ttl_basis must be 'last_access', 'last_update' or 'created', got {}",
            convert::py_repr(other)
        ))),
    }
}

fn session_id(id: &str) -> PyResult<SessionId> {
    SessionId::from_str(id).py_err()
}

/// A session store: one redb file (or memory), owned by this process, or
/// opened by several processes together with `shared=True`.
#[pyclass(frozen, module = "coatcheck", name = "Store")]
pub struct PyStore {
    pub(crate) store: Store,
    path: Option<String>,
    owner_pid: u32,
    closed: AtomicBool,
}

impl Drop for PyStore {
    fn drop(&mut self) {
        if std::process::id() != self.owner_pid {
            // Inherited through fork(): the store's threads and file belong
            // to the parent. Leak a reference so that the engine's own
            // drop (which would close the file) never runs in this process.
            std::mem::forget(self.store.clone());
        }
    }
}

fn meta(ip: Option<String>, user_agent: Option<String>, label: Option<String>) -> coatcheck::Meta {
    coatcheck::Meta {
        ip,
        user_agent,
        label,
    }
}

#[pymethods]
impl PyStore {
    #[new]
    #[pyo3(signature = (
        path=None,
        *,
        idle_timeout=None,
        absolute_timeout=None,
        remember_idle_timeout=None,
        remember_absolute_timeout=None,
        ttl_basis="last_access",
        touch_interval=None,
        sweep_interval=Sweep::Default,
        sweep_batch=None,
        durability=DurabilityArg(Durability::Immediate),
        cache_capacity=None,
        max_sessions_per_user=Some(coatcheck::DEFAULT_MAX_SESSIONS_PER_USER),
        max_value_bytes=None,
        token_bytes=None,
        token_prefix=None,
        token_timestamp=false,
        regenerate_on_login=true,
        destroy_when_empty=false,
        access_ttl=None,
        refresh_ttl=None,
        refresh_grace=None,
        access_key=None,
        clock=None,
        on_event=None,
        bind_user_agent=false,
        bind_ip_prefix=None,
        retired_access_keys=Vec::new(),
        shared=false,
    ),
    // The real defaults (in seconds), for help() and inspect.signature().
    text_signature = "(path=None, *, idle_timeout=1800, absolute_timeout=86400, \
        remember_idle_timeout=2592000, remember_absolute_timeout=7776000, \
        ttl_basis='last_access', touch_interval=None, sweep_interval=60, sweep_batch=1000, \
        durability='immediate', cache_capacity=100000, max_sessions_per_user=100, \
        max_value_bytes=65536, token_bytes=32, token_prefix='', token_timestamp=False, \
        regenerate_on_login=True, destroy_when_empty=False, access_ttl=900, \
        refresh_ttl=2592000, refresh_grace=10, access_key=None, clock=None, on_event=None, \
        bind_user_agent=False, bind_ip_prefix=None, retired_access_keys=[], shared=False)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        path: Option<std::path::PathBuf>,
        idle_timeout: Option<&Bound<'_, PyAny>>,
        absolute_timeout: Option<&Bound<'_, PyAny>>,
        remember_idle_timeout: Option<&Bound<'_, PyAny>>,
        remember_absolute_timeout: Option<&Bound<'_, PyAny>>,
        ttl_basis: &str,
        touch_interval: Option<&Bound<'_, PyAny>>,
        sweep_interval: Sweep,
        sweep_batch: Option<usize>,
        durability: DurabilityArg,
        cache_capacity: Option<usize>,
        max_sessions_per_user: Option<usize>,
        max_value_bytes: Option<usize>,
        token_bytes: Option<usize>,
        token_prefix: Option<String>,
        token_timestamp: bool,
        regenerate_on_login: bool,
        destroy_when_empty: bool,
        access_ttl: Option<&Bound<'_, PyAny>>,
        refresh_ttl: Option<&Bound<'_, PyAny>>,
        refresh_grace: Option<&Bound<'_, PyAny>>,
        access_key: Option<Vec<u8>>,
        clock: Option<PyRef<'_, PyManualClock>>,
        on_event: Option<Py<PyAny>>,
        bind_user_agent: bool,
        bind_ip_prefix: Option<(u8, u8)>,
        retired_access_keys: Vec<Vec<u8>>,
        shared: bool,
    ) -> PyResult<PyStore> {
        let mut c = Config::default();
        if let Some(d) = opt_duration(idle_timeout, "idle_timeout")? {
            c.idle_timeout = d;
        }
        if let Some(d) = opt_duration(absolute_timeout, "absolute_timeout")? {
            c.absolute_timeout = d;
        }
        if let Some(d) = opt_duration(remember_idle_timeout, "remember_idle_timeout")? {
            c.remember_idle_timeout = d;
        }
        if let Some(d) = opt_duration(remember_absolute_timeout, "remember_absolute_timeout")? {
            c.remember_absolute_timeout = d;
        }
        c.ttl_basis = self::ttl_basis(ttl_basis)?;
        c.touch_interval = opt_duration(touch_interval, "touch_interval")?;
        match sweep_interval {
            Sweep::Default => {}
            Sweep::Off => c.sweep_interval = None,
            Sweep::Every(d) => c.sweep_interval = Some(d),
        }
        if let Some(n) = sweep_batch {
            c.sweep_batch = n;
        }
        c.durability = durability.0;
        if let Some(n) = cache_capacity {
            c.cache_capacity = n;
        }
        c.max_sessions_per_user = max_sessions_per_user;
        if let Some(n) = max_value_bytes {
            c.max_value_bytes = n;
        }
        if let Some(n) = token_bytes {
            c.token_bytes = n;
        }
        if let Some(p) = token_prefix {
            c.token_prefix = p;
        }
        c.token_timestamp = token_timestamp;
        c.regenerate_on_login = regenerate_on_login;
        c.destroy_when_empty = destroy_when_empty;
        if let Some(d) = opt_duration(access_ttl, "access_ttl")? {
            c.access_ttl = d;
        }
        if let Some(d) = opt_duration(refresh_ttl, "refresh_ttl")? {
            c.refresh_ttl = d;
        }
        if let Some(d) = opt_duration(refresh_grace, "refresh_grace")? {
            c.refresh_grace = d;
        }
        c.access_key = access_key;
        c.retired_access_keys = retired_access_keys;
        c.shared = shared;
        if let Some(clock) = clock {
            c = c.clock(clock.inner.clone());
        }
        c.binding = coatcheck::Binding {
            user_agent: bind_user_agent,
            ipv4_prefix: bind_ip_prefix.map(|(v4, _)| v4),
            ipv6_prefix: bind_ip_prefix.map(|(_, v6)| v6),
        };
        if let Some(hook) = on_event {
            c = c.on_event(move |event| crate::events::deliver(&hook, event));
        }
        let shown = path.as_ref().map(|p| p.display().to_string());
        let store = py
            .detach(|| match &path {
                Some(p) => Store::open(p, c),
                None => Store::in_memory(c),
            })
            .py_err()?;
        Ok(PyStore {
            store,
            path: shown,
            owner_pid: std::process::id(),
            closed: AtomicBool::new(false),
        })
    }

    /// `Store.in_memory(**config)`: a store that lives in memory only.
    #[classmethod]
    #[pyo3(signature = (**config))]
    fn in_memory<'py>(
        cls: &Bound<'py, PyType>,
        config: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        cls.call((cls.py().None(),), config)
    }

    /// The file this store was opened on, or None in memory.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Creates a session and returns it with its token (the only time the token is shown).
    #[pyo3(signature = (
        *, user=None, data=None, remember=false, lifetime=None, ip=None, user_agent=None, label=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        user: Option<String>,
        data: Option<&Bound<'_, PyAny>>,
        remember: bool,
        lifetime: Option<&Bound<'_, PyAny>>,
        ip: Option<String>,
        user_agent: Option<String>,
        label: Option<String>,
    ) -> PyResult<PySession> {
        let new = NewSession {
            user,
            data: match data {
                Some(d) => convert::to_data(d, "data")?,
                None => Data::new(),
            },
            remember,
            lifetime: lifetime.map(PyLifetime::extract_arg).transpose()?,
            meta: meta(ip, user_agent, label),
        };
        let store = &self.store;
        py.detach(|| store.create(new)).py_err().map(PySession::new)
    }

    /// The session of `token`, marking it used. Raises SessionNotFound (SessionExpired,
    /// SessionRevoked) or InvalidToken.
    fn get(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.get(&token)).py_err().map(PySession::new)
    }

    /// `get` for a request from the client at `ip` with `user_agent`: with binding, a client
    /// that does not match the session's ends it (SessionRevoked, "binding_mismatch").
    #[pyo3(signature = (token, *, ip=None, user_agent=None))]
    fn get_from(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> PyResult<PySession> {
        let store = &self.store;
        let client = coatcheck::Meta {
            ip,
            user_agent,
            label: None,
        };
        py.detach(|| store.get_from(&token, &client))
            .py_err()
            .map(PySession::new)
    }

    /// The session of `token`, without marking it used.
    fn peek(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.peek(&token))
            .py_err()
            .map(PySession::new)
    }

    /// Sets one key, atomically: concurrent changes of other keys survive.
    fn set(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let key = convert::str_arg(key, "the key")?;
        let value = convert::to_value(value, &key)?;
        let store = &self.store;
        py.detach(|| store.set(&token, &key, value)).py_err()
    }

    /// Removes one key; returns the value it held, or None.
    fn remove<'py>(
        &self,
        py: Python<'py>,
        token: PyBackedStr,
        key: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = convert::str_arg(key, "the key")?;
        let store = &self.store;
        match py.detach(|| store.remove(&token, &key)).py_err()? {
            Some(v) => convert::from_value(py, &v),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Merges `changes` into the data, atomically (like `dict.update`).
    fn update(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        changes: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let changes = convert::to_data(changes, "changes")?;
        let store = &self.store;
        py.detach(|| {
            store.update(&token, |data| {
                data.extend(changes.iter().map(|(k, v)| (k.clone(), v.clone())))
            })
        })
        .py_err()
    }

    /// Applies a batch of changes in one atomic write and one commit: with
    /// `clear=True` every key removed first, then keys to set (a dict), keys
    /// to remove, flash values to add (a dict),
    /// a lifetime (or `reset_lifetime=True` for the configured one) and
    /// remember. Everything is checked first: a bad value changes nothing.
    #[pyo3(signature = (
        token, *, clear=false, set=None, remove=None, flash=None, lifetime=None,
        reset_lifetime=false, remember=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        clear: bool,
        set: Option<&Bound<'_, PyAny>>,
        remove: Option<Vec<String>>,
        flash: Option<&Bound<'_, PyAny>>,
        lifetime: Option<&Bound<'_, PyAny>>,
        reset_lifetime: bool,
        remember: Option<bool>,
    ) -> PyResult<()> {
        if reset_lifetime && lifetime.is_some() {
            return Err(PyValueError::new_err(
                "give either lifetime or reset_lifetime=True, not both",
            ));
        }
        let mut changes = coatcheck::Changes::new();
        if clear {
            changes = changes.clear();
        }
        if let Some(set) = set {
            for (key, value) in convert::to_data(set, "set")? {
                changes = changes.set(key, value);
            }
        }
        for key in remove.unwrap_or_default() {
            changes = changes.remove(key);
        }
        if let Some(flash) = flash {
            for (key, value) in convert::to_data(flash, "flash")? {
                changes = changes.flash(key, value);
            }
        }
        if let Some(lifetime) = lifetime {
            changes = changes.lifetime(PyLifetime::extract_arg(lifetime)?);
        } else if reset_lifetime {
            changes = changes.lifetime(None);
        }
        if let Some(remember) = remember {
            changes = changes.remember(remember);
        }
        let store = &self.store;
        py.detach(|| store.apply(&token, changes)).py_err()
    }

    /// Read-modify-write through a function, retried on a concurrent change.
    fn update_with(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        func: Py<PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let store = &self.store;
        let mut failure: Option<PyErr> = None;
        let out = py
            .detach(|| {
                store.update(&token, |data| {
                    failure = None;
                    Python::attach(|py| {
                        let run = || -> PyResult<(Py<PyAny>, Data)> {
                            let dict = convert::from_data(py, data)?;
                            let out = func.bind(py).call1((&dict,))?;
                            let next = convert::to_data(dict.as_any(), "the data")?;
                            Ok((out.unbind(), next))
                        };
                        match run() {
                            Ok((out, next)) => {
                                *data = next;
                                Some(out)
                            }
                            Err(e) => {
                                // Leave the data as it was: nothing is written.
                                failure = Some(e);
                                None
                            }
                        }
                    })
                })
            })
            .py_err()?;
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(out.unwrap_or_else(|| py.None()))
    }

    /// A context manager for an optimistic read-modify-write of the data.
    fn transaction(slf: Py<Self>, token: String) -> Transaction {
        Transaction {
            store: slf,
            token,
            version: None,
            original: None,
            data: None,
        }
    }

    /// Replaces the data if the session is still at `version`; returns the new version.
    /// Conflict if it moved.
    fn replace_if(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        version: u64,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let data = convert::to_data(data, "data")?;
        let store = &self.store;
        py.detach(|| store.replace_if(&token, version, data))
            .py_err()
    }

    /// Ends the session; returns whether one was ended (an unknown or ended token is not an error).
    fn destroy(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<bool> {
        let store = &self.store;
        py.detach(|| store.destroy(&token)).py_err()
    }

    /// Ends the session: `destroy` under the name apps use.
    fn logout(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<bool> {
        let store = &self.store;
        py.detach(|| store.logout(&token)).py_err()
    }

    /// A new token and id, same data; the old token stops working at once (OWASP: session
    /// fixation).
    fn regenerate(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.regenerate(&token))
            .py_err()
            .map(PySession::new)
    }

    /// Attaches `user`, keeping the data; with regenerate_on_login (default) the session gets a
    /// new token.
    fn login(&self, py: Python<'_>, token: PyBackedStr, user: PyBackedStr) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.login(&token, &user))
            .py_err()
            .map(PySession::new)
    }

    /// Adds a flash value, kept until the next `take_flash`.
    fn flash(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let key = convert::str_arg(key, "the key")?;
        let value = convert::to_value(value, &key)?;
        let store = &self.store;
        py.detach(|| store.flash(&token, &key, value)).py_err()
    }

    /// Returns the flash values and removes them, atomically: each is read once.
    fn take_flash<'py>(&self, py: Python<'py>, token: PyBackedStr) -> PyResult<Bound<'py, PyDict>> {
        let store = &self.store;
        let data = py.detach(|| store.take_flash(&token)).py_err()?;
        convert::from_data(py, &data)
    }

    /// A CSRF token tied to the session, masked afresh on every call (BREACH-safe).
    fn csrf_token(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<String> {
        let store = &self.store;
        py.detach(|| store.csrf_token(&token)).py_err()
    }

    /// Whether `candidate` is a CSRF token of this session (constant time).
    fn verify_csrf(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        candidate: PyBackedStr,
    ) -> PyResult<bool> {
        let store = &self.store;
        py.detach(|| store.verify_csrf(&token, &candidate)).py_err()
    }

    /// Issues an access (JWT) / refresh token pair for the session of `token`.
    fn issue_pair(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<PyTokenPair> {
        let store = &self.store;
        py.detach(|| store.issue_pair(&token))
            .py_err()
            .map(PyTokenPair::from)
    }

    /// The session of an access token (marked used).
    fn verify_access(&self, py: Python<'_>, access: PyBackedStr) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.verify_access(&access))
            .py_err()
            .map(PySession::new)
    }

    /// Spends `refresh_token` and returns a new pair; a spent one presented again raises
    /// TokenReuse.
    fn refresh(&self, py: Python<'_>, refresh_token: PyBackedStr) -> PyResult<PyTokenPair> {
        let store = &self.store;
        py.detach(|| store.refresh(&refresh_token))
            .py_err()
            .map(PyTokenPair::from)
    }

    /// Gives this session its own lifetime (a Lifetime or an (idle, absolute)
    /// pair); None puts it back on the configured (or remember) lifetime.
    fn set_lifetime(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        lifetime: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let lifetime = lifetime.map(PyLifetime::extract_arg).transpose()?;
        let store = &self.store;
        py.detach(|| store.set_lifetime(&token, lifetime)).py_err()
    }

    /// The current time on the store's clock (a `ManualClock` in tests): use
    /// it, not the wall clock, to compute dates the store will compare.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.store.now())
    }

    /// Turns "keep me signed in" on or off.
    fn set_remember(&self, py: Python<'_>, token: PyBackedStr, remember: bool) -> PyResult<()> {
        let store = &self.store;
        py.detach(|| store.set_remember(&token, remember)).py_err()
    }

    /// Replaces the session's meta: a Meta, or ip/user_agent/label keywords.
    #[pyo3(signature = (token, meta=None, *, ip=None, user_agent=None, label=None))]
    fn set_meta(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
        meta: Option<PyRef<'_, PyMeta>>,
        ip: Option<String>,
        user_agent: Option<String>,
        label: Option<String>,
    ) -> PyResult<()> {
        let meta = match meta {
            Some(m) => {
                if ip.is_some() || user_agent.is_some() || label.is_some() {
                    return Err(PyTypeError::new_err(
                        "set_meta takes a Meta or ip/user_agent/label keywords, not both",
                    ));
                }
                m.inner.clone()
            }
            None => self::meta(ip, user_agent, label),
        };
        let store = &self.store;
        py.detach(|| store.set_meta(&token, meta)).py_err()
    }

    /// The live sessions of `user`, most recently used first (no tokens).
    fn sessions_of(&self, py: Python<'_>, user: PyBackedStr) -> PyResult<Vec<PySession>> {
        let store = &self.store;
        let sessions = py.detach(|| store.sessions_of(&user)).py_err()?;
        Ok(sessions.into_iter().map(PySession::new).collect())
    }

    /// Users with at least one live session, after `after`, at most `limit`.
    #[pyo3(signature = (after=None, limit=100))]
    fn users(
        &self,
        py: Python<'_>,
        after: Option<PyBackedStr>,
        limit: usize,
    ) -> PyResult<Vec<String>> {
        let store = &self.store;
        py.detach(|| store.users(after.as_deref(), limit)).py_err()
    }

    /// Ends every session of `user` ("log out everywhere"); returns how many.
    fn destroy_user(&self, py: Python<'_>, user: PyBackedStr) -> PyResult<usize> {
        let store = &self.store;
        py.detach(|| store.destroy_user(&user)).py_err()
    }

    /// Ends every session of `user` but the one with id `keep_id`; returns how many.
    fn destroy_user_except(
        &self,
        py: Python<'_>,
        user: PyBackedStr,
        keep_id: &str,
    ) -> PyResult<usize> {
        let keep = session_id(keep_id)?;
        let store = &self.store;
        py.detach(|| store.destroy_user_except(&user, &keep))
            .py_err()
    }

    /// Ends the session with this id (admin); returns whether one was ended.
    fn destroy_id(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        let id = session_id(id)?;
        let store = &self.store;
        py.detach(|| store.destroy_id(&id)).py_err()
    }

    /// Ends the session with this id only if it belongs to `user` ("your devices" pages).
    fn destroy_user_session(&self, py: Python<'_>, user: PyBackedStr, id: &str) -> PyResult<bool> {
        let id = session_id(id)?;
        let store = &self.store;
        py.detach(|| store.destroy_user_session(&user, &id))
            .py_err()
    }

    /// After a password change: ends the user's other sessions and this one's pairs, and gives
    /// this session a new token.
    fn revoke_others_and_regenerate(
        &self,
        py: Python<'_>,
        token: PyBackedStr,
    ) -> PyResult<PySession> {
        let store = &self.store;
        py.detach(|| store.revoke_others_and_regenerate(&token))
            .py_err()
            .map(PySession::new)
    }

    /// Ends every token pair of the session of `token`; whether one was live.
    fn revoke_pairs(&self, py: Python<'_>, token: PyBackedStr) -> PyResult<bool> {
        let store = &self.store;
        py.detach(|| store.revoke_pairs(&token)).py_err()
    }

    /// The session with this id (admin), without marking it used.
    fn info(&self, py: Python<'_>, id: &str) -> PyResult<PySession> {
        let id = session_id(id)?;
        let store = &self.store;
        py.detach(|| store.info(&id)).py_err().map(PySession::new)
    }

    /// How many live sessions there are.
    fn count(&self, py: Python<'_>) -> PyResult<u64> {
        let store = &self.store;
        py.detach(|| store.count()).py_err()
    }

    /// How many users have at least one live session.
    fn count_users(&self, py: Python<'_>) -> PyResult<u64> {
        let store = &self.store;
        py.detach(|| store.count_users()).py_err()
    }

    /// Removes expired sessions now; returns how many.
    fn sweep(&self, py: Python<'_>) -> PyResult<usize> {
        let store = &self.store;
        py.detach(|| store.sweep()).py_err()
    }

    /// Makes every change durable now.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let store = &self.store;
        py.detach(|| store.flush()).py_err()
    }

    /// Flushes, stops the sweeper and releases the file. Later calls raise StorageError;
    /// closing twice is harmless.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let store = &self.store;
        self.closed.store(true, Ordering::Release);
        py.detach(|| store.close()).py_err()
    }

    /// Counters and sizes.
    fn stats(&self, py: Python<'_>) -> PyResult<PyStats> {
        let store = &self.store;
        py.detach(|| store.stats()).py_err().map(PyStats::from)
    }

    /// Walks every record and index, changing nothing; a dict with
    /// `sessions`, `ended`, `refresh_tokens`, `damaged_records` and
    /// `problems` (a list of sentences, empty when the file is sound).
    fn check<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let store = &self.store;
        let report = py.detach(|| store.check()).py_err()?;
        let out = PyDict::new(py);
        out.set_item("sessions", report.sessions)?;
        out.set_item("ended", report.ended)?;
        out.set_item("refresh_tokens", report.refresh_tokens)?;
        out.set_item("damaged_records", report.damaged_records)?;
        out.set_item("problems", report.problems)?;
        Ok(out)
    }

    /// `Store.repair(path)`: repairs the store file at `path`, which no
    /// process may have open (see `Store::repair` in the Rust docs); a dict
    /// with `was_sound`, `salvaged`, `skipped` and `damaged_copy`.
    #[staticmethod]
    fn repair<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyDict>> {
        let report = py
            .detach(|| Store::repair(&path, Config::default()))
            .py_err()?;
        let out = PyDict::new(py);
        out.set_item("was_sound", report.was_sound)?;
        out.set_item("salvaged", report.salvaged)?;
        out.set_item("skipped", report.skipped)?;
        out.set_item(
            "damaged_copy",
            report.damaged_copy.map(|p| p.display().to_string()),
        )?;
        Ok(out)
    }

    /// Returns the store itself.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the store; exceptions propagate.
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let place = match &self.path {
            Some(p) => convert::py_repr(p),
            None => "in memory".to_owned(),
        };
        let state = if std::process::id() != self.owner_pid {
            " (inherited through fork: unusable)"
        } else if self.closed.load(Ordering::Acquire) {
            " (closed)"
        } else {
            ""
        };
        format!("<coatcheck.Store {place}{state}>")
    }

    /// Refuses pickling: a store belongs to the process that opened it.
    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "coatcheck.Store cannot be pickled: a store belongs to the process that \
             opened it; open it in each process instead",
        ))
    }
}

/// `durability`: `"immediate"` or a duration (periodic).
pub struct DurabilityArg(Durability);

impl<'a, 'py> FromPyObject<'a, 'py> for DurabilityArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        durability(&obj).map(DurabilityArg)
    }
}

/// `with store.transaction(token) as data:` — the data as a dict; on a
/// clean exit, written back if changed, unless the session changed since
/// (then `Conflict`).
#[pyclass(module = "coatcheck", name = "Transaction")]
pub struct Transaction {
    store: Py<PyStore>,
    token: String,
    version: Option<u64>,
    original: Option<Data>,
    data: Option<Py<PyDict>>,
}

#[pymethods]
impl Transaction {
    /// Reads the session (marking it used) and returns its data as a dict.
    fn __enter__<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if self.version.is_some() {
            return Err(PyValueError::new_err(
                "this transaction was already entered; call store.transaction(token) again",
            ));
        }
        let store = &self.store.get().store;
        let token = &self.token;
        let session = py.detach(|| store.get(token)).py_err()?;
        let dict = convert::from_data(py, session.data())?;
        self.version = Some(session.version());
        self.original = Some(session.into_data());
        self.data = Some(dict.clone().unbind());
        Ok(dict)
    }

    /// On a clean exit, writes the dict back if it changed (Conflict if the
    /// session moved meanwhile); after an exception, writes nothing.
    #[pyo3(signature = (exc_type, _exc=None, _tb=None))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let (Some(version), Some(original), Some(dict)) =
            (self.version, self.original.take(), self.data.take())
        else {
            return Ok(false);
        };
        if exc_type.is_some_and(|t| !t.is_none()) {
            return Ok(false);
        }
        let data = convert::to_data(dict.bind(py).as_any(), "the transaction's data")?;
        if data == original {
            return Ok(false);
        }
        let store = &self.store.get().store;
        let token = &self.token;
        py.detach(|| store.replace_if(token, version, data))
            .map_err(to_pyerr)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.version {
            Some(v) => format!("<coatcheck.Transaction at version {v}>"),
            None => "<coatcheck.Transaction (not entered)>".to_owned(),
        }
    }
}

/// Times `n` creates, gets and sets done in Rust on `store`, for
/// `benches/python/bench.py`: nanoseconds per call of each.
#[pyfunction]
pub fn _bench(py: Python<'_>, store: PyRef<'_, PyStore>, n: usize) -> PyResult<Py<PyAny>> {
    let store = &store.store;
    let (create, get, set) = py
        .detach(|| -> coatcheck::Result<(f64, f64, f64)> {
            let start = std::time::Instant::now();
            let mut tokens = Vec::with_capacity(n);
            for i in 0..n {
                let s = store.create(NewSession::default().insert("n", i as i64))?;
                tokens.push(s.token().unwrap_or_default().to_owned());
            }
            let create = start.elapsed();
            let start = std::time::Instant::now();
            for t in &tokens {
                std::hint::black_box(store.get(t)?);
            }
            let get = start.elapsed();
            let start = std::time::Instant::now();
            for (i, t) in tokens.iter().enumerate() {
                store.set(t, "n", i as i64 + 1)?;
            }
            let set = start.elapsed();
            let per = |d: Duration| d.as_nanos() as f64 / n.max(1) as f64;
            Ok((per(create), per(get), per(set)))
        })
        .py_err()?;
    let out = PyDict::new(py);
    out.set_item("create", create)?;
    out.set_item("get", get)?;
    out.set_item("set", set)?;
    Ok(out.into_any().unbind())
}

/// Gets every token of `tokens` in a Rust loop, with the GIL released, for
/// `benches/python/bench.py` (which times the call on the calling thread).
#[pyfunction]
pub fn _bench_gets(py: Python<'_>, store: PyRef<'_, PyStore>, tokens: Vec<String>) -> PyResult<()> {
    let store = &store.store;
    py.detach(|| -> coatcheck::Result<()> {
        for t in &tokens {
            std::hint::black_box(store.get(t)?);
        }
        Ok(())
    })
    .py_err()
}
