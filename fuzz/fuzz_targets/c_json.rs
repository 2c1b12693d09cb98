//! The JSON that crosses the C face: `coatcheck_store_set_json`,
//! `_flash_json` (`Value::from_json_str`), `_replace_if_json` and
//! `coatcheck_create_options_set_data_json` (`data_from_json_str`) parse
//! with exactly these functions and add no logic of their own. Any text is
//! a value or an error, never a panic; and what a value prints as JSON
//! (what `get_json` returns) parses back to the same value.
#![no_main]

use coatcheck::{data_from_json_str, data_to_json, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(value) = Value::from_json_str(text) {
        let printed = value.to_json().to_string();
        let back = Value::from_json_str(&printed).expect("printed JSON parses again");
        assert!(same(&back, &value), "{printed}");
    }
    if let Ok(data) = data_from_json_str(text) {
        let printed = data_to_json(&data).to_string();
        let back = data_from_json_str(&printed).expect("printed data parses again");
        assert_eq!(back.len(), data.len());
    }
});

/// Equality that treats two NaNs as equal (JSON has no NaN, but a float
/// may print in another form).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, a), (kb, b))| ka == kb && same(a, b))
        }
        _ => a == b,
    }
}
