//! The core's error kinds as Python exceptions.
//!
//! The exception classes are plain Python classes in `coatcheck/_errors.py`
//! (so that they can inherit from `LookupError`, `ValueError` and
//! `OSError` as well as from `CoatcheckError`); this module looks them up
//! once, on the first error, and raises the one that matches
//! [`ErrorKind`] with the core's message and attributes.

use coatcheck::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::convert;

/// One class per error kind, in the order of [`class_name`].
static CLASSES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

const NAMES: [&str; 12] = [
    "SessionNotFound",
    "SessionExpired",
    "SessionRevoked",
    "TokenReuse",
    "Conflict",
    "InvalidToken",
    "InvalidArgument",
    "StoreLocked",
    "StoreCorrupt",
    "StoreIOError",
    "StorageError",
    "AccessTokenExpired",
];

fn class_index(kind: ErrorKind) -> usize {
    match kind {
        ErrorKind::NotFound => 0,
        ErrorKind::Expired => 1,
        ErrorKind::Revoked => 2,
        ErrorKind::TokenReuse => 3,
        ErrorKind::Conflict => 4,
        ErrorKind::InvalidToken => 5,
        ErrorKind::InvalidArgument => 6,
        ErrorKind::Locked => 7,
        ErrorKind::Corrupt => 8,
        ErrorKind::Io => 9,
        ErrorKind::AccessExpired => 11,
        // Storage, and any kind added to the core later.
        _ => 10,
    }
}

fn classes(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    CLASSES.get_or_try_init(py, || {
        let module = py.import("coatcheck._errors")?;
        NAMES
            .iter()
            .map(|name| Ok(module.getattr(*name)?.cast_into::<PyType>()?.unbind()))
            .collect()
    })
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let cls = classes(py)?[class_index(err.kind())].bind(py);
    let exc = cls.call1((err.to_string(),))?;
    exc.setattr("kind", err.kind().name())?;
    exc.setattr("operation", err.operation())?;
    if let Some(reason) = err.end_reason() {
        exc.setattr("reason", reason.name())?;
    }
    if let Some(at) = err.expired_at() {
        exc.setattr("expired_at", convert::from_timestamp(py, at)?)?;
    }
    if let Some((expected, actual)) = err.conflict_versions() {
        exc.setattr("expected", expected)?;
        exc.setattr("actual", actual)?;
    }
    Ok(PyErr::from_value(exc))
}

/// The Python exception for a core error.
pub fn to_pyerr(err: Error) -> PyErr {
    Python::attach(|py| match build(py, &err) {
        Ok(e) => e,
        Err(lookup) => {
            let e = PyRuntimeError::new_err(err.to_string());
            e.set_cause(py, Some(lookup));
            e
        }
    })
}

/// `Result` of the core into `PyResult`.
pub trait IntoPy<T> {
    /// Converts the error, if any, into the matching Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for coatcheck::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}
