//! `ManualClock`: time that moves only when a test says so.

use coatcheck::{Clock, ManualClock};
use pyo3::prelude::*;

use crate::convert;

/// A clock for tests: pass it as `Store(clock=...)` and move time with
/// `advance`, so that expiry tests never sleep.
#[pyclass(frozen, module = "coatcheck", name = "ManualClock")]
pub struct PyManualClock {
    pub(crate) inner: ManualClock,
}

#[pymethods]
impl PyManualClock {
    #[new]
    #[pyo3(signature = (start=None))]
    fn py_new(start: Option<&Bound<'_, PyAny>>) -> PyResult<PyManualClock> {
        let inner = match start {
            None => ManualClock::new(),
            Some(t) => ManualClock::starting_at(convert::to_timestamp(t, "start")?),
        };
        Ok(PyManualClock { inner })
    }

    /// The clock's time.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::from_timestamp(py, self.inner.now())
    }

    /// Moves the clock forward by `delta` (a timedelta or seconds).
    fn advance(&self, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.advance(convert::to_duration(delta, "delta")?);
        Ok(())
    }

    /// Sets the clock to `when` (an aware datetime).
    fn set(&self, when: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(convert::to_timestamp(when, "when")?);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("<coatcheck.ManualClock at {}>", self.inner.now())
    }
}
