//! # libcoatcheck: the C ABI of coatcheck
//!
//! This crate builds `libcoatcheck.so` and `libcoatcheck.a`, whose header is
//! `include/coatcheck.h` (generated from these sources by cbindgen; run
//! `make header` after changing them). It holds no session logic: every
//! function checks its arguments, calls the core crate, and converts the
//! result. `bindings/c/STYLE_GUIDE.md` is the rule book; in short:
//!
//! - every function that can fail returns a `coatcheck_status` and writes its
//!   results through out-parameters, which it resets on entry;
//! - strings are NUL-terminated UTF-8; values cross as JSON text;
//! - every `char *` coatcheck hands out is freed with `coatcheck_string_free`,
//!   every handle with its own `_free` (the store with `coatcheck_store_close`);
//! - NULL and bad UTF-8 are `COATCHECK_INVALID_ARGUMENT`, and a panic is
//!   caught and reported as `COATCHECK_INTERNAL`, never unwound into C.
//!
//! All of the project's `unsafe` code lives here.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

#[macro_use]
mod ffi;

mod binding;
mod care;
mod error;
mod events;
mod fork;
mod options;
mod session;
mod status;
mod store;
mod strings;
mod web;

pub use error::{coatcheck_last_error_message, coatcheck_last_error_reason};
pub use options::*;
pub use session::*;
pub use status::*;
pub use store::*;
pub use strings::*;
pub use web::*;
