//! FITS headers: a small safe API over CFITSIO (fitsio + `fitsio-src`).
//!
//! CFITSIO handles are neither `Send` nor `Sync`, so every call runs on one dedicated worker
//! thread (`worker`); results are cached by (path, size, mtime). `write` makes pipeline-like
//! FITS files for the demo and the tests.
//!
//! Layers: `ffi` (the only `unsafe`: CFITSIO disk-file calls) → `read` (files to `HeaderDoc`;
//! gzip files take a pure-Rust fast path through `block`) → `card` and `summary` (pure parsing
//! and derived values) → `print` (`fitsheader`-style text) and `worker` (the async front).

pub mod block;
pub mod card;
mod ffi;
pub mod header;
pub mod print;
pub mod read;
pub mod summary;
pub mod worker;
pub mod write;

pub use header::{Card, FitsError, Hdu, HeaderDoc, HeaderSummary};
pub use print::format_fitsheader;
pub use read::read_header;
pub use summary::summarize;
pub use worker::FitsWorker;
