//! Values, durations and timestamps between Python and the core.
//!
//! - Values: `dict`/`list`/`tuple`/`str`/`int`/`float`/`bool`/`None`/`bytes`
//!   (and `bytearray`) in; `dict`/`list`/`str`/`int`/`float`/`bool`/`None`/
//!   `bytes` out. Anything else is a `TypeError` naming the key and the type;
//!   an `int` beyond 64 bits is a `ValueError`.
//! - Durations: a `timedelta` or a number of seconds.
//! - Timestamps: timezone-aware `datetime` in UTC.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use coatcheck::{Data, Timestamp, Value};
use pyo3::exceptions::{PyTypeError, PyUnicodeEncodeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};

/// How deep values may nest: the same limit as the C face's JSON parser.
const MAX_DEPTH: usize = 128;

/// The `datetime` objects the conversions need, looked up once.
struct DateTimeApi {
    timedelta: Py<PyType>,
    epoch: Py<PyAny>,
}

static DATETIME: PyOnceLock<DateTimeApi> = PyOnceLock::new();

fn datetime_api(py: Python<'_>) -> PyResult<&DateTimeApi> {
    DATETIME.get_or_try_init(py, || {
        let module = py.import("datetime")?;
        let utc = module.getattr("timezone")?.getattr("utc")?;
        let epoch = module
            .getattr("datetime")?
            .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        Ok(DateTimeApi {
            timedelta: module.getattr("timedelta")?.cast_into::<PyType>()?.unbind(),
            epoch: epoch.unbind(),
        })
    })
}

// ---------------------------------------------------------------- values

/// `s` as Python writes a str literal: `'cart'`.
pub fn py_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One step of the way from a top-level key to a bad value.
enum Step {
    Index(usize),
    Key(String),
}

/// Why a value could not be converted, and where.
enum Bad {
    Type(String),
    KeyType(String),
    TooBig(String),
    TooDeep,
    /// A `str` with lone surrogates, which UTF-8 cannot encode.
    Surrogate(PyErr),
    /// A dict key with lone surrogates.
    SurrogateKey(PyErr),
}

struct ValueError {
    path: Vec<Step>,
    bad: Bad,
}

impl ValueError {
    fn new(bad: Bad) -> ValueError {
        ValueError {
            path: Vec::new(),
            bad,
        }
    }

    fn at(mut self, step: Step) -> ValueError {
        self.path.push(step);
        self
    }

    /// The Python exception, naming where the bad value sits.
    fn into_pyerr(self, key: &str) -> PyErr {
        let mut place = py_repr(key);
        for step in self.path.iter().rev() {
            match step {
                Step::Index(i) => {
                    let _ = write!(place, "[{i}]");
                }
                Step::Key(k) => {
                    let _ = write!(place, "[{}]", py_repr(k));
                }
            }
        }
        let what = if self.path.is_empty() {
            format!("the value of key {place}")
        } else {
            format!("the value at {place}")
        };
        match self.bad {
            Bad::Type(ty) => PyTypeError::new_err(format!(
                "{what} is of type {}, which a session cannot hold \
                 (use dict, list, tuple, str, int, float, bool, None or bytes)",
                py_repr(&ty)
            )),
            Bad::KeyType(ty) => PyTypeError::new_err(format!(
                "{what} is a dict with a key of type {}; session dicts need str keys",
                py_repr(&ty)
            )),
            Bad::TooBig(repr) => PyValueError::new_err(format!(
                "{what} is the integer {repr}, which does not fit in 64 bits \
                 (a session holds signed 64-bit integers)"
            )),
            Bad::TooDeep => {
                PyValueError::new_err(format!("{what} nests deeper than {MAX_DEPTH} levels"))
            }
            Bad::Surrogate(err) => name_encode_error(err, &what),
            Bad::SurrogateKey(err) => {
                let dict = if self.path.is_empty() {
                    format!("the value of key {place}")
                } else {
                    format!("the dict at {place}")
                };
                name_encode_error(err, &format!("a key of {dict}"))
            }
        }
    }
}

/// The same `UnicodeEncodeError` (encoding, object, position), with a
/// reason that says which field held the string: Python's own message only
/// gives a position in a string the caller cannot see.
fn name_encode_error(err: PyErr, field: &str) -> PyErr {
    Python::attach(|py| {
        if !err.is_instance_of::<PyUnicodeEncodeError>(py) {
            return err;
        }
        let value = err.value(py);
        let parts = (|| -> PyResult<_> {
            Ok((
                value.getattr("encoding")?.extract::<String>()?,
                value.getattr("object")?.unbind(),
                value.getattr("start")?.extract::<isize>()?,
                value.getattr("end")?.extract::<isize>()?,
                value.getattr("reason")?.extract::<String>()?,
            ))
        })();
        match parts {
            Ok((encoding, object, start, end, reason)) => PyUnicodeEncodeError::new_err((
                encoding,
                object,
                start,
                end,
                format!("{reason} (in {field}; session strings must be valid Unicode text)"),
            )),
            Err(_) => err,
        }
    })
}

/// A `str` argument such as a session key, as UTF-8; a string with lone
/// surrogates is a `UnicodeEncodeError` that names `field`.
pub fn str_arg(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<PyBackedStr> {
    match obj.cast::<PyString>() {
        Ok(s) => s
            .to_cow()
            .map_err(|e| name_encode_error(e, field))
            .and_then(|_| s.clone().try_into()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{field} must be a str, got {}",
            py_repr(&type_name(obj))
        ))),
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn value_inner(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, ValueError> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|e| ValueError::new(Bad::Surrogate(e)));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return i.extract::<i64>().map(Value::Int).map_err(|_| {
            ValueError::new(Bad::TooBig(
                i.str().map(|s| s.to_string()).unwrap_or_default(),
            ))
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if depth >= MAX_DEPTH && (obj.is_instance_of::<PyDict>() || obj.is_instance_of::<PyList>()) {
        return Err(ValueError::new(Bad::TooDeep));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return map_inner(d, depth + 1).map(Value::Map);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        let mut items = Vec::with_capacity(l.len());
        for (i, item) in l.iter().enumerate() {
            items.push(value_inner(&item, depth + 1).map_err(|e| e.at(Step::Index(i)))?);
        }
        return Ok(Value::List(items));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        if depth >= MAX_DEPTH {
            return Err(ValueError::new(Bad::TooDeep));
        }
        let mut items = Vec::with_capacity(t.len());
        for (i, item) in t.iter().enumerate() {
            items.push(value_inner(&item, depth + 1).map_err(|e| e.at(Step::Index(i)))?);
        }
        return Ok(Value::List(items));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    Err(ValueError::new(Bad::Type(type_name(obj))))
}

fn map_inner(d: &Bound<'_, PyDict>, depth: usize) -> Result<BTreeMap<String, Value>, ValueError> {
    let mut map = BTreeMap::new();
    for (k, v) in d.iter() {
        let key = match k.cast::<PyString>() {
            Ok(s) => s
                .to_cow()
                .map_err(|e| ValueError::new(Bad::SurrogateKey(e)))?
                .into_owned(),
            Err(_) => return Err(ValueError::new(Bad::KeyType(type_name(&k)))),
        };
        let value = value_inner(&v, depth).map_err(|e| e.at(Step::Key(key.clone())))?;
        map.insert(key, value);
    }
    Ok(map)
}

/// One value, stored under `key`.
pub fn to_value(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<Value> {
    value_inner(obj, 0).map_err(|e| e.into_pyerr(key))
}

/// A whole session's data: a dict with `str` keys.
pub fn to_data(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Data> {
    let d = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a dict with str keys, got {}",
            py_repr(&type_name(obj))
        ))
    })?;
    let mut map = BTreeMap::new();
    for (k, v) in d.iter() {
        let key = match k.cast::<PyString>() {
            Ok(s) => s
                .to_cow()
                .map_err(|e| name_encode_error(e, &format!("a key of {what}")))?
                .into_owned(),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "{what} has a key of type {}; session data needs str keys",
                    py_repr(&type_name(&k))
                )))
            }
        };
        let value = to_value(&v, &key)?;
        map.insert(key, value);
    }
    Ok(map)
}

/// A value as a Python object.
pub fn from_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Map(map) => from_data(py, map)?.into_any(),
        // `Value` is exhaustive today; a future kind shows up as None
        // rather than failing every read.
        #[allow(unreachable_patterns)]
        _ => py.None().into_bound(py),
    })
}

/// Session data as a new dict.
pub fn from_data<'py>(py: Python<'py>, data: &Data) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in data {
        dict.set_item(k, from_value(py, v)?)?;
    }
    Ok(dict)
}

// ------------------------------------------------------------- durations

/// A `timedelta` or a number of seconds (`int` or `float`), not negative.
pub fn to_duration(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let py = obj.py();
    let negative = || PyValueError::new_err(format!("{what} must not be negative"));
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a timedelta or a number of seconds, got bool"
        )));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        let secs: i64 = i.extract().map_err(|_| {
            PyValueError::new_err(format!("{what} is too large a number of seconds"))
        })?;
        return u64::try_from(secs)
            .map(Duration::from_secs)
            .map_err(|_| negative());
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let secs = f.value();
        if secs.is_nan() || secs < 0.0 {
            return Err(negative());
        }
        return Duration::try_from_secs_f64(secs).map_err(|_| {
            PyValueError::new_err(format!("{what} is too large a number of seconds"))
        });
    }
    let api = datetime_api(py)?;
    if obj.is_instance(api.timedelta.bind(py))? {
        let days: i64 = obj.getattr("days")?.extract()?;
        let secs: i64 = obj.getattr("seconds")?.extract()?;
        let micros: i64 = obj.getattr("microseconds")?.extract()?;
        if days < 0 {
            return Err(negative());
        }
        let total = (days as u64) * 86_400 + secs as u64;
        return Ok(Duration::from_secs(total) + Duration::from_micros(micros as u64));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a timedelta or a number of seconds, got {}",
        py_repr(&type_name(obj))
    )))
}

/// A duration as a `timedelta`.
pub fn from_duration<'py>(py: Python<'py>, d: Duration) -> PyResult<Bound<'py, PyAny>> {
    let api = datetime_api(py)?;
    let days = d.as_secs() / 86_400;
    let secs = d.as_secs() % 86_400;
    api.timedelta
        .bind(py)
        .call1((days, secs, d.subsec_micros()))
}

// ------------------------------------------------------------ timestamps

/// The last millisecond a `datetime` can hold: 9999-12-31T23:59:59.999Z.
const MAX_DATETIME_MILLIS: i64 = 253_402_300_799_999;

/// A timestamp as an aware UTC `datetime` (the engine saturates far-future
/// expiries; they show as the largest `datetime`, never as an error).
pub fn from_timestamp<'py>(py: Python<'py>, t: Timestamp) -> PyResult<Bound<'py, PyAny>> {
    let api = datetime_api(py)?;
    let ms = t.as_millis().clamp(0, MAX_DATETIME_MILLIS);
    let secs = ms.div_euclid(1000);
    let micros = ms.rem_euclid(1000) * 1000;
    let delta = api.timedelta.bind(py).call1((0, secs, micros))?;
    api.epoch.bind(py).add(delta)
}

/// An aware `datetime` as a timestamp (milliseconds, rounded down).
pub fn to_timestamp(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Timestamp> {
    let py = obj.py();
    let api = datetime_api(py)?;
    let is_datetime = obj.hasattr("utcoffset")? && obj.hasattr("timestamp")?;
    if !is_datetime {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a timezone-aware datetime, got {}",
            py_repr(&type_name(obj))
        )));
    }
    if obj.call_method0("utcoffset")?.is_none() {
        return Err(PyValueError::new_err(format!(
            "{what} is a naive datetime; pass an aware one (for example tzinfo=timezone.utc)"
        )));
    }
    let delta = obj.sub(api.epoch.bind(py))?;
    let days: i64 = delta.getattr("days")?.extract()?;
    let secs: i64 = delta.getattr("seconds")?.extract()?;
    let micros: i64 = delta.getattr("microseconds")?.extract()?;
    Ok(Timestamp::from_millis(
        days * 86_400_000 + secs * 1000 + micros.div_euclid(1000),
    ))
}
