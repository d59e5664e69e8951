//! The pipeline's PostgreSQL task queue (schema `absurd`) as a job source, read-only.
//!
//! - `connect`: [`Queue::connect`] — a small pool whose every session is read-only and bounded
//!   by a `statement_timeout`, wrapped in an [`InstrumentedPool`].
//! - `tasks`: `absurd.tasks` as the common [`JobRow`](crate::snapshot::JobRow), with the
//!   queue's trap (a stage failure stored as `completed` with `result.status = "error"`)
//!   counted as a failure everywhere.
//! - `groups`: `absurd.ingestion_groups` and stuck-collecting detection.
//! - `health`: backlog figures and the failure records the triage view groups.
//! - `target`: where each task name keeps its target in `params`, and what it links to.
//! - `seed`: a writable side door for tests, the demo and the benchmark.
//!
//! Every query goes through [`Queue::conn`], so the pool's figures and errors are counted.

pub mod connect;
pub mod error;
pub mod groups;
pub mod health;
pub mod seed;
mod sql;
pub mod target;
pub mod tasks;

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::PgConnectOptions;

use crate::pool::InstrumentedPool;

pub use error::QueueError;
pub use groups::{IngestGroupRow, is_stuck_collecting};
pub use health::{Backlog, FailureRecord, QueueBacklog, StaleClaim, StatusCounts};

/// The queue the pipeline's worker units poll (`ABSURD_QUEUE_NAME` in its `contimg.env`).
pub const PIPELINE_QUEUE: &str = "dsa110-pipeline";
/// The queue the per-minute ingestion scan and its `ingest-subband` tasks go to; no unit polls
/// it, so its backlog is counted apart.
pub const INGESTION_QUEUE: &str = "dsa110-ingestion";

/// How the monitor talks to the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueOptions {
    /// Every statement is cancelled by the server after this long; keep it shorter than the
    /// refresh interval so a slow query never stacks up behind the next refresh.
    pub statement_timeout: Duration,
    /// How long opening one connection may take before the server counts as unreachable.
    pub connect_timeout: Duration,
    /// How long a query waits for a pooled connection (this includes reconnecting).
    pub acquire_timeout: Duration,
    pub max_connections: u32,
    /// A task claimed for longer than this counts as "running over" (the runbook's 30 min).
    pub long_running_after: Duration,
    /// At most this many failures are returned by [`Queue::failures_since`], newest first.
    pub failures_limit: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            statement_timeout: Duration::from_millis(1500),
            connect_timeout: Duration::from_secs(3),
            acquire_timeout: Duration::from_secs(3),
            max_connections: 2,
            long_running_after: Duration::from_secs(30 * 60),
            failures_limit: 10_000,
        }
    }
}

/// A read-only client of the task queue. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Queue {
    pool: InstrumentedPool<Postgres>,
    /// The session options, kept to probe the server directly when the pool cannot say why
    /// it has no connection.
    connect_options: PgConnectOptions,
    options: QueueOptions,
    /// `host:port/database`, never the password: it appears in messages.
    target: String,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("target", &self.target)
            .field("options", &self.options)
            .finish()
    }
}

impl Queue {
    /// The measured pool, for the Pool tab's registry (and for tests that probe the session).
    pub fn pool(&self) -> &InstrumentedPool<Postgres> {
        &self.pool
    }

    /// Where the queue lives, as `host:port/database` (safe to show).
    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn options(&self) -> &QueueOptions {
        &self.options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn queue_futures_can_be_spawned_on_tokio() {
        // Built lazily, never connected: only the types matter here.
        let connect_options: PgConnectOptions = "postgresql://postgres@127.0.0.1:1/dsa110_absurd"
            .parse()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(connect_options.clone());
        let queue = Queue {
            pool: InstrumentedPool::new("monitor", "postgres", pool),
            connect_options,
            options: QueueOptions::default(),
            target: "127.0.0.1:1/dsa110_absurd".into(),
        };
        let query = crate::query::ListQuery::default();
        assert_send(&queue.tasks(&query));
        assert_send(&queue.task_detail("x"));
        assert_send(&queue.ingestion_groups(&query));
        assert_send(&queue.backlog(0.0));
        assert_send(&queue.failures_since(0.0));
    }
}
