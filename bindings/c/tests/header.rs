//! The checked-in `include/coatcheck.h` must be what cbindgen makes from the
//! sources now. `COATCHECK_BLESS_HEADER=1` (what `make header` sets) writes
//! it instead of comparing.

use std::path::Path;

#[test]
fn checked_in_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header_path = crate_dir.join("../../include/coatcheck.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings/c/cbindgen.toml is readable");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can read bindings/c/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");

    if std::env::var_os("COATCHECK_BLESS_HEADER").is_some() {
        std::fs::write(&header_path, &generated).expect("include/coatcheck.h is writable");
        return;
    }
    let checked_in = std::fs::read_to_string(&header_path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/coatcheck.h is stale: run `make header` and commit the result"
    );
}
