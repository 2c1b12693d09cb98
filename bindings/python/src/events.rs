//! The session events hook: a Python callable, called with a dict.

use coatcheck::SessionEvent;
use pyo3::prelude::*;

/// Calls `hook` with the event as a dict (`kind`, `id`, and where they
/// apply `previous_id`, `user`, `reason`), on coatcheck's events thread. An
/// exception in the hook is reported as unraisable (`sys.unraisablehook`)
/// and never reaches the store.
pub fn deliver(hook: &Py<PyAny>, event: &SessionEvent) {
    Python::attach(|py| {
        let call = || -> PyResult<()> {
            let event = py
                .import("json")?
                .call_method1("loads", (event.to_json(),))?;
            hook.call1(py, (event,))?;
            Ok(())
        };
        if let Err(err) = call() {
            err.write_unraisable(py, Some(hook.bind(py)));
        }
    });
}
