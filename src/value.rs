//! The values a session holds: null, bool, i64, f64, string, bytes, list, map.
//!
//! [`Value`] converts from the matching Rust types with `From`, and to and
//! from JSON (the C face passes values as JSON text). Bytes have no JSON
//! form of their own: they travel as `{"$bytes": "<base64url>"}`, and a JSON
//! object of exactly that shape reads back as bytes.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A session's data: string keys to [`Value`]s, in key order.
pub type Data = BTreeMap<String, Value>;

/// How deep values may nest (lists and maps inside lists and maps).
pub const MAX_DEPTH: usize = 128;

/// The JSON key that marks bytes in the JSON form of a [`Value`].
pub const BYTES_JSON_KEY: &str = "$bytes";

/// One value in a session.
///
/// ```
/// use coatcheck::Value;
/// let cart = Value::from(vec![Value::from("apple"), Value::from(3)]);
/// assert_eq!(cart.to_json().to_string(), r#"["apple",3]"#);
/// assert_eq!(Value::from_json_str(r#"["apple",3]"#).unwrap(), cart);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A finite 64-bit float (NaN and infinities are refused on write).
    Float(f64),
    /// UTF-8 text.
    String(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// An ordered list.
    List(Vec<Value>),
    /// String keys to values.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// Checks that the value can be stored: every float is finite, and it
    /// nests at most [`MAX_DEPTH`] levels (so that no decoder recurses
    /// without bound).
    pub(crate) fn validate(&self, key: &str) -> Result<()> {
        self.validate_at(key, 1)
    }

    fn validate_at(&self, key: &str, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH && matches!(self, Value::List(_) | Value::Map(_)) {
            return Err(Error::invalid_argument(format!(
                "the value of {key:?} nests deeper than {MAX_DEPTH} levels"
            )));
        }
        match self {
            Value::Float(f) if !f.is_finite() => Err(Error::invalid_argument(format!(
                "the value of {key:?} contains {f}, which cannot be stored (floats must be finite)"
            ))),
            Value::List(items) => items.iter().try_for_each(|v| v.validate_at(key, depth + 1)),
            Value::Map(map) => map.values().try_for_each(|v| v.validate_at(key, depth + 1)),
            _ => Ok(()),
        }
    }

    /// The JSON form. Bytes become `{"$bytes": "<base64url>"}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Bytes(b) => {
                let mut map = serde_json::Map::new();
                map.insert(
                    BYTES_JSON_KEY.to_owned(),
                    J::String(URL_SAFE_NO_PAD.encode(b)),
                );
                J::Object(map)
            }
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => {
                J::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Reads the JSON form. Integers between `i64::MAX` and `u64::MAX` are
    /// refused rather than silently turned into floats; a literal beyond
    /// `u64` is read as a float, as JSON parsers commonly do.
    pub fn from_json(json: &serde_json::Value) -> Result<Value> {
        use serde_json::Value as J;
        Ok(match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if n.is_f64() {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                } else {
                    return Err(Error::invalid_argument(format!(
                        "the number {n} does not fit a signed 64-bit integer"
                    )));
                }
            }
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::List(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<Vec<_>>>()?,
            ),
            J::Object(map) => {
                if map.len() == 1 {
                    if let Some(J::String(encoded)) = map.get(BYTES_JSON_KEY) {
                        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| {
                            Error::invalid_argument(format!(
                                "{BYTES_JSON_KEY:?} must hold base64url without padding"
                            ))
                        })?;
                        return Ok(Value::Bytes(bytes));
                    }
                }
                Value::Map(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), Value::from_json(v)?)))
                        .collect::<Result<BTreeMap<_, _>>>()?,
                )
            }
        })
    }

    /// Parses JSON text into a value; invalid JSON is `InvalidArgument`.
    pub fn from_json_str(text: &str) -> Result<Value> {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid_argument(format!("invalid JSON: {e}")))?;
        Value::from_json(&json)
    }

    /// The string, if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `Int`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is a `Float` (or an `Int`, widened).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The boolean, if this is a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The list, if this is a `List`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The map, if this is a `Map`.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }
}

/// Data as one JSON object (the C face's `data_json`).
pub fn data_to_json(data: &Data) -> serde_json::Value {
    serde_json::Value::Object(data.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// Data from JSON text that must be an object.
pub fn data_from_json_str(text: &str) -> Result<Data> {
    match Value::from_json_str(text)? {
        Value::Map(map) => Ok(map),
        _ => Err(Error::invalid_argument(
            "session data must be a JSON object",
        )),
    }
}

macro_rules! value_from {
    ($($ty:ty => $variant:ident $(as $cast:ty)?),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Value {
                Value::$variant(v $(as $cast)?.into())
            }
        }
    )*};
}

value_from!(
    bool => Bool,
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    u8 => Int, u16 => Int, u32 => Int,
    f32 => Float, f64 => Float,
    String => String, &str => String,
    Vec<u8> => Bytes, &[u8] => Bytes,
    Vec<Value> => List,
    BTreeMap<String, Value> => Map,
);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_kind() {
        let mut inner = BTreeMap::new();
        inner.insert("blob".to_owned(), Value::Bytes(vec![0, 255, 7]));
        inner.insert("pi".to_owned(), Value::Float(3.5));
        let v = Value::List(vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(-7),
            Value::String("é".into()),
            Value::Map(inner),
        ]);
        let text = v.to_json().to_string();
        assert_eq!(Value::from_json_str(&text).unwrap(), v);
    }

    #[test]
    fn json_integers_beyond_i64_are_refused() {
        let err = Value::from_json_str("18446744073709551615").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(Value::from_json_str("{").is_err());
    }

    #[test]
    fn values_nested_too_deep_are_refused() {
        let mut v = Value::Null;
        for _ in 0..MAX_DEPTH {
            v = Value::List(vec![v]);
        }
        assert!(v.validate("ok").is_ok());
        let too_deep = Value::List(vec![v]);
        let err = too_deep.validate("deep").unwrap_err();
        assert!(err.to_string().contains("nests deeper"), "{err}");
    }

    #[test]
    fn non_finite_floats_are_refused() {
        let v = Value::List(vec![Value::Float(f64::NAN)]);
        let err = v.validate("score").unwrap_err();
        assert!(err.to_string().contains("score"));
        assert!(Value::Float(1.0).validate("x").is_ok());
    }
}

#[cfg(test)]
mod json_round_trip {
    use super::Value;

    #[test]
    fn a_number_past_i64_prints_as_json_that_reads_back_the_same() {
        // Found by the c_json fuzz target: a literal just below i64::MIN
        // becomes a float, which must print and read back unchanged.
        for text in [
            "-9223372036869659036",
            "18446744073709551616123",
            "1e308",
            "-0.1",
        ] {
            let value = Value::from_json_str(text).unwrap();
            let printed = value.to_json().to_string();
            assert_eq!(
                Value::from_json_str(&printed).unwrap(),
                value,
                "{text} → {printed}"
            );
        }
    }
}
