//! The commands that run without a terminal: `once` (for cron and tickets), `snapshot` (one
//! frame as text) and `fits-header`. `harness` drives the real app and services step by step,
//! without timers, for `snapshot` and for the tests.

pub mod fits_header;
pub mod harness;
pub mod once;
pub mod once_records;
pub mod snapshot;
