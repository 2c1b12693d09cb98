//! The record decoder: any bytes are a record that re-encodes to itself,
//! or a `Corrupt` error; the salvage scan of repair never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut id = [0u8; 32];
    if bytes.len() >= 41 {
        id.copy_from_slice(&bytes[9..41]);
    }
    coatcheck::__fuzz::record_round_trip(id, bytes);
    coatcheck::__fuzz::salvage(bytes);
});
