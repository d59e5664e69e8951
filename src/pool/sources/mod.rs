//! Pools seen from outside the monitor's process: PostgreSQL's `pg_stat_activity`,
//! pgbouncer's admin console and Prometheus `/metrics` endpoints.
//!
//! Each source turns what it reads into [`PoolStats`] rows; [`PoolSampler`] runs every
//! configured source on its own interval and timeout and publishes the rows, keeping the
//! last good ones (marked stale, with the reason) when a source fails.
//! [`SaturationTracker`] turns a stream of rows into "saturated since T" and alerts.
//!
//! - `config`: the `[[pools.sources]]` entries.
//! - `prometheus`: scrape, parse, map OpenTelemetry (or mapped) names to rows.
//! - `postgres`: `pg_stat_activity` grouped by application.
//! - `pgbouncer`: `SHOW POOLS` / `SHOW DATABASES` / `SHOW STATS`.
//! - `sampler`: the tasks and the stale/delta bookkeeping.
//! - `saturation`: episodes and alerts, pure.
//!
//! Wiring (inside a tokio runtime):
//! ```ignore
//! let sampler = PoolSampler::from_config(&config.pools.sources)?; // validates first
//! let mut external = sampler.subscribe();        // watch::Receiver<Vec<PoolStats>>
//! // on each change: rows = registry.sample_all(now) + external.borrow().clone();
//! // history.record(row) for each; tracker.observe(&rows) → alerts for the status line.
//! ```
//! Keep the sampler alive as long as the rows are wanted: dropping it stops the tasks.
//! Rows carry raw text (pool names, reasons): sanitise them in the UI.

pub mod config;
pub mod pgbouncer;
pub mod postgres;
pub mod prometheus;
pub mod sampler;
pub mod saturation;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use thiserror::Error;

use crate::snapshot::PoolStats;

pub use config::{PoolSourceConfig, SourceConfigError, SourceKind};
pub use pgbouncer::PgbouncerSource;
pub use postgres::PostgresSource;
pub use prometheus::PrometheusSource;
pub use sampler::{PoolSampler, SourceSchedule};
pub use saturation::{PoolKey, SaturationAlert, SaturationTracker};

/// Why a source gave no rows this time. Messages are one line, for the stale marker.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum SourceError {
    #[error("cannot reach {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    #[error("HTTP {status} from {target}")]
    HttpStatus { target: String, status: u16 },
    #[error("{0}")]
    Garbage(String),
    #[error("no pool metrics in the scrape (looked for {0})")]
    NoPoolMetrics(String),
    #[error("query {query:?} failed: {reason}")]
    Query { query: &'static str, reason: String },
    #[error("{0}")]
    Invalid(String),
}

/// The boxed future a source returns, so the sampler can hold sources of every kind.
pub type SampleFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<PoolStats>, SourceError>> + Send + 'a>>;

/// A place pool figures can be read from. `sample` may be cancelled at any await (the
/// sampler's timeout drops it): a source must then start afresh on the next call.
pub trait PoolSource: Send {
    /// The rows' `source`.
    fn name(&self) -> &str;
    /// Read the figures now; `now` (Unix seconds) stamps the rows.
    fn sample(&mut self, now: f64) -> SampleFuture<'_>;
    /// Counts the queries this source sends to a database server, if it sends any.
    fn query_counter(&self) -> Option<Arc<AtomicU64>> {
        None
    }
}

/// `scheme://user:secret@host/…` → `scheme://user@host/…`: URLs end up in messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// Build the source a config entry describes (it must have passed `validate`).
pub fn build_source(config: &PoolSourceConfig) -> Result<Box<dyn PoolSource>, SourceError> {
    Ok(match config.kind {
        SourceKind::Postgres => Box::new(PostgresSource::new(config)?),
        SourceKind::Pgbouncer => Box::new(PgbouncerSource::new(config)?),
        SourceKind::Prometheus => Box::new(PrometheusSource::new(config)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgresql://postgres:hunter2@localhost:5432/dsa110_absurd"),
            "postgresql://postgres@localhost:5432/dsa110_absurd"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8000/metrics"),
            "http://127.0.0.1:8000/metrics"
        );
        assert_eq!(redact_url("postgres://u:p@h"), "postgres://u@h");
    }
}
