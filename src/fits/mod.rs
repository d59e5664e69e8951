//! Image headers: FITS files through a small safe API over CFITSIO (fitsio + `fitsio-src`),
//! gzip FITS and CASA image directories through pure-Rust readers.
//!
//! CFITSIO handles are neither `Send` nor `Sync`, so every read runs on one dedicated worker
//! thread (`worker`); results are cached by (path, what was read, size, mtime; for a CASA
//! directory its `table.dat`). `write` makes pipeline-like FITS files for the demo and tests.
//!
//! Layers: `ffi` (the only `unsafe`: CFITSIO disk-file calls), `casa` (casacore keywords) and
//! `locate` (the row's path or another name of the image) → `read` (to `HeaderDoc`; gzip
//! files through `block`) → `card` and `summary` (pure parsing and derived values) → `print`
//! (`fitsheader`-style text) and `worker` (the async front).

pub mod block;
pub mod card;
pub mod casa;
mod ffi;
pub mod header;
pub mod locate;
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
