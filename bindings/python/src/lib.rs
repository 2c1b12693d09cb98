//! The Python face of coatcheck: the native module `coatcheck._native`.
//!
//! No session logic lives here: each function translates its arguments,
//! calls the core with the GIL released, and translates the result or the
//! error. The pure-Python package (`python/coatcheck`) re-exports these
//! classes and defines the exception classes (`_errors.py`).
//!
//! - `store`: `Store` and `Transaction`, every engine operation
//! - `session`: `Session`, `Meta`, `Lifetime`, `Stats`, `TokenPair`
//! - `http`: `CookieConfig` and `token_from_authorization` (`coatcheck.http`)
//! - `clock`: `ManualClock`, for tests that move time by hand
//! - `convert`: values, durations and timestamps
//! - `errors`: the core's error kinds as Python exceptions
//!
//! Everything is behind the `python` feature (on with `extension-module`,
//! which maturin turns on), so that the Rust workspace builds and tests
//! without Python.

#![cfg(feature = "python")]

use pyo3::prelude::*;

mod clock;
mod convert;
mod errors;
mod events;
mod http;
mod session;
mod store;

/// Called in the child after `fork()`: every store opened before the fork
/// then refuses calls at once, even reads served from memory (SPEC §7).
#[pyfunction]
fn _forked_child() {
    coatcheck::fork::forked_child();
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let forked = wrap_pyfunction!(_forked_child, m)?;
    m.add_function(forked.clone())?;
    let os = m.py().import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = pyo3::types::PyDict::new(m.py());
        kwargs.set_item("after_in_child", forked)?;
        os.getattr("register_at_fork")?.call((), Some(&kwargs))?;
    }
    m.add_class::<store::PyStore>()?;
    m.add_class::<store::Transaction>()?;
    m.add_class::<session::PySession>()?;
    m.add_class::<session::PyMeta>()?;
    m.add_class::<session::PyLifetime>()?;
    m.add_class::<session::PyStats>()?;
    m.add_class::<session::PyTokenPair>()?;
    m.add_class::<clock::PyManualClock>()?;
    m.add_class::<http::PyCookieConfig>()?;
    m.add_function(wrap_pyfunction!(http::token_from_authorization, m)?)?;
    m.add_function(wrap_pyfunction!(store::_bench, m)?)?;
    m.add_function(wrap_pyfunction!(store::_bench_gets, m)?)?;
    Ok(())
}
