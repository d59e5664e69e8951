//! contimg-monitor: a read-only terminal monitor for the DSA-110 continuum imaging pipeline.
//!
//! Data flows one way through the tree:
//! `db/`, `fits/`, `pool/` (sources) → `services/` (async pollers) → `snapshot/` (immutable
//! values) → `app/` (pure state updates) → `ui/` (widgets). `query/` and `text/` are shared
//! pure helpers; `terminal/` owns the tty; `headless/` and `demo/` are the other entry points.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod fits;
pub mod headless;
pub mod pool;
pub mod query;
pub mod queue;
pub mod services;
pub mod snapshot;
pub mod terminal;
pub mod text;
pub mod triage;
pub mod ui;
