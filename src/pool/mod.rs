//! Connection pools, measured. Every query the monitor sends goes through an
//! [`InstrumentedPool`], because sqlx exposes only `size()` and `num_idle()`: waiters, acquire
//! latency and timeouts can only be seen by wrapping `acquire()`.
//!
//! `history` keeps a bounded ring of samples per pool for the chart; `registry` is the list of
//! pool sources the Pool tab shows.

pub mod history;
pub mod instrumented;
pub mod registry;
pub mod sources;
pub mod sqlite_file;

pub use history::PoolHistory;
pub use instrumented::{AcquireError, InstrumentedPool};
pub use registry::{PoolProbe, PoolRegistry};
