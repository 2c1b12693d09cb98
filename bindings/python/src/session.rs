//! What the store hands back: `Session`, `Meta`, `Lifetime`, `Stats`,
//! `TokenPair`.

use std::time::Duration;

use coatcheck::Session;
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert;

/// A session as the call that returned it saw it: an immutable snapshot.
#[pyclass(frozen, module = "coatcheck", name = "Session")]
pub struct PySession {
    pub(crate) inner: Session,
}

impl PySession {
    pub fn new(inner: Session) -> PySession {
        PySession { inner }
    }
}

/// The first characters of an id, enough to tell sessions apart in logs.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[pymethods]
impl PySession {
    /// The token; only on the value returned by `create`, `regenerate` and `login`.
    #[getter]
    fn token(&self) -> Option<&str> {
        self.inner.token()
    }

    /// The public id: SHA-256 of the token, as 64 lowercase hex digits.
    #[getter]
    fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The user id, or None for an anonymous session.
    #[getter]
    fn user(&self) -> Option<&str> {
        self.inner.user()
    }

    /// The data, as a new dict on every access.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::from_data(py, self.inner.data())
    }

    /// When the session was created (aware UTC datetime).
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.created_at())
    }

    /// When the session was last used.
    #[getter]
    fn last_access<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.last_access())
    }

    /// When its data, flash or user last changed.
    #[getter]
    fn last_update<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.last_update())
    }

    /// When it expires if it is not used again.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.expires_at())
    }

    /// Whether this is a "keep me signed in" session.
    #[getter]
    fn remember(&self) -> bool {
        self.inner.remember()
    }

    /// Increases by one on every change of data, flash or user.
    #[getter]
    fn version(&self) -> u64 {
        self.inner.version()
    }

    /// How many flash values wait for `take_flash`.
    #[getter]
    fn pending_flash(&self) -> usize {
        self.inner.pending_flash()
    }

    /// The lifetime in force for this session.
    #[getter]
    fn lifetime(&self) -> PyLifetime {
        let l = self.inner.lifetime();
        PyLifetime {
            idle: l.idle,
            absolute: l.absolute,
        }
    }

    /// Whether the lifetime was set for this session rather than configured.
    #[getter]
    fn has_custom_lifetime(&self) -> bool {
        self.inner.has_custom_lifetime()
    }

    /// Where the session came from: ip, user agent, label.
    #[getter]
    fn meta(&self) -> PyMeta {
        PyMeta {
            inner: self.inner.meta().clone(),
        }
    }

    /// One value of the data; KeyError if absent.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.get(key) {
            Some(v) => convert::from_value(py, v),
            None => Err(PyKeyError::new_err(key.to_owned())),
        }
    }

    /// Whether the data has `key`.
    fn __contains__(&self, key: &str) -> bool {
        self.inner.get(key).is_some()
    }

    /// One value of the data, or `default`.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.get(key) {
            Some(v) => convert::from_value(py, v),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        let id = s.id().to_string();
        let keys: Vec<String> = s.data().keys().map(|k| convert::py_repr(k)).collect();
        format!(
            "<coatcheck.Session id={}… user={} keys=[{}] version={} expires_at={}{}>",
            short_id(&id),
            s.user().map_or("None".to_owned(), convert::py_repr),
            keys.join(", "),
            s.version(),
            s.expires_at(),
            if s.token().is_some() {
                " token=<hidden>"
            } else {
                ""
            }
        )
    }

    /// The same object: a session is immutable.
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The same object: a session is immutable.
    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "coatcheck.Session cannot be pickled: it is a snapshot that may carry the \
             session's secret token; keep session.id or session.data instead, and read \
             the session again from the store",
        ))
    }
}

/// Where a session came from: ip, user agent, label.
#[pyclass(frozen, module = "coatcheck", name = "Meta")]
pub struct PyMeta {
    pub(crate) inner: coatcheck::Meta,
}

#[pymethods]
impl PyMeta {
    #[new]
    #[pyo3(signature = (ip=None, user_agent=None, label=None))]
    fn py_new(ip: Option<String>, user_agent: Option<String>, label: Option<String>) -> PyMeta {
        PyMeta {
            inner: coatcheck::Meta {
                ip,
                user_agent,
                label,
            },
        }
    }

    /// The client's IP address.
    #[getter]
    fn ip(&self) -> Option<&str> {
        self.inner.ip.as_deref()
    }

    /// The client's User-Agent.
    #[getter]
    fn user_agent(&self) -> Option<&str> {
        self.inner.user_agent.as_deref()
    }

    /// A free-form label, such as a device name.
    #[getter]
    fn label(&self) -> Option<&str> {
        self.inner.label.as_deref()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyMeta>() {
            Ok(o) => o.get().inner == self.inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.inner.ip, &self.inner.user_agent, &self.inner.label).hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        let opt = |v: &Option<String>| v.as_deref().map_or("None".to_owned(), convert::py_repr);
        format!(
            "coatcheck.Meta(ip={}, user_agent={}, label={})",
            opt(&self.inner.ip),
            opt(&self.inner.user_agent),
            opt(&self.inner.label)
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let m = &slf.get().inner;
        let args = (m.ip.clone(), m.user_agent.clone(), m.label.clone());
        (slf.get_type(), args).into_pyobject(slf.py())
    }
}

/// An idle (sliding) timeout and an absolute one, counted from creation.
#[pyclass(frozen, module = "coatcheck", name = "Lifetime")]
#[derive(Clone, Copy)]
pub struct PyLifetime {
    pub(crate) idle: Duration,
    pub(crate) absolute: Duration,
}

impl PyLifetime {
    pub fn core(&self) -> coatcheck::Lifetime {
        coatcheck::Lifetime::new(self.idle, self.absolute)
    }

    /// A `Lifetime`, or a `(idle, absolute)` pair of durations.
    pub fn extract_arg(obj: &Bound<'_, PyAny>) -> PyResult<coatcheck::Lifetime> {
        if let Ok(l) = obj.cast::<PyLifetime>() {
            return Ok(l.get().core());
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            if t.len() == 2 {
                let idle = convert::to_duration(&t.get_item(0)?, "lifetime idle")?;
                let absolute = convert::to_duration(&t.get_item(1)?, "lifetime absolute")?;
                return Ok(coatcheck::Lifetime::new(idle, absolute));
            }
        }
        Err(PyTypeError::new_err(
            "lifetime must be a coatcheck.Lifetime or an (idle, absolute) pair of durations",
        ))
    }
}

#[pymethods]
impl PyLifetime {
    #[new]
    fn py_new(idle: &Bound<'_, PyAny>, absolute: &Bound<'_, PyAny>) -> PyResult<PyLifetime> {
        Ok(PyLifetime {
            idle: convert::to_duration(idle, "idle")?,
            absolute: convert::to_duration(absolute, "absolute")?,
        })
    }

    /// The session ends after this long without use.
    #[getter]
    fn idle<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_duration(py, self.idle)
    }

    /// The session ends this long after it was created.
    #[getter]
    fn absolute<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_duration(py, self.absolute)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyLifetime>() {
            Ok(o) => o.get().core() == self.core(),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.core().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "coatcheck.Lifetime(idle={}, absolute={})",
            self.idle.as_secs_f64(),
            self.absolute.as_secs_f64()
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let l = slf.get();
        let args = (l.idle.as_secs_f64(), l.absolute.as_secs_f64());
        (slf.get_type(), args).into_pyobject(slf.py())
    }
}

/// Counters and sizes of a store.
#[pyclass(frozen, get_all, module = "coatcheck", name = "Stats")]
pub struct PyStats {
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

impl From<coatcheck::Stats> for PyStats {
    fn from(s: coatcheck::Stats) -> PyStats {
        PyStats {
            sessions: s.sessions,
            users: s.users,
            file_bytes: s.file_bytes,
            commits: s.commits,
            durable_commits: s.durable_commits,
            sessions_swept: s.sessions_swept,
            cache_hits: s.cache_hits,
            cache_misses: s.cache_misses,
            events_dropped: s.events_dropped,
        }
    }
}

#[pymethods]
impl PyStats {
    fn __repr__(&self) -> String {
        format!(
            "coatcheck.Stats(sessions={}, users={}, file_bytes={}, commits={}, \
             durable_commits={}, sessions_swept={}, cache_hits={}, cache_misses={}, \
             events_dropped={})",
            self.sessions,
            self.users,
            self.file_bytes,
            self.commits,
            self.durable_commits,
            self.sessions_swept,
            self.cache_hits,
            self.cache_misses,
            self.events_dropped
        )
    }
}

/// An access token (a JWT) and a refresh token, from `issue_pair` or
/// `refresh`. `repr` hides both tokens.
#[pyclass(frozen, module = "coatcheck", name = "TokenPair")]
pub struct PyTokenPair {
    inner: coatcheck::TokenPair,
}

impl From<coatcheck::TokenPair> for PyTokenPair {
    fn from(inner: coatcheck::TokenPair) -> PyTokenPair {
        PyTokenPair { inner }
    }
}

#[pymethods]
impl PyTokenPair {
    /// The access token (a JWT): send it as `Authorization: Bearer ...`.
    #[getter]
    fn access(&self) -> &str {
        &self.inner.access
    }

    /// When the access token expires.
    #[getter]
    fn access_expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.access_expires_at)
    }

    /// The refresh token: keep it secret, present it once to `Store.refresh`.
    #[getter]
    fn refresh(&self) -> &str {
        &self.inner.refresh
    }

    /// When the refresh token expires.
    #[getter]
    fn refresh_expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.refresh_expires_at)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyTokenPair>() {
            Ok(o) => o.get().inner == self.inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.access.hash(&mut h);
        self.inner.refresh.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "<coatcheck.TokenPair access=<hidden> until {}, refresh=<hidden> until {}>",
            self.inner.access_expires_at, self.inner.refresh_expires_at
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "coatcheck.TokenPair cannot be pickled: it holds secret tokens",
        ))
    }
}
