//! Opening the queue: one direct probe for a clear answer, then a lazy read-only pool.

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, Postgres};

use super::error::classify;
use super::{Queue, QueueError, QueueOptions};
use crate::pool::{AcquireError, InstrumentedPool};

/// Shown in `pg_stat_activity`, so the pipeline's operators can tell our sessions apart.
pub const APPLICATION_NAME: &str = "contimg-monitor";

/// How long a diagnosis probe may take once the pool has already waited its timeout.
const DIAGNOSIS_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

impl Queue {
    /// Connect to the queue at `url` (e.g. `postgresql://postgres@localhost/dsa110_absurd`).
    ///
    /// Opens one connection first, directly: sqlx's pool retries a refused connection until its
    /// acquire timeout and then reports only "timed out", while the operator needs to read
    /// "connection refused" or "database does not exist" at once.
    pub async fn connect(url: &str, options: &QueueOptions) -> Result<Queue, QueueError> {
        let parsed: PgConnectOptions = url.parse().map_err(|_| QueueError::Unreachable {
            target: "(queue URL)".into(),
            reason: "not a valid postgresql:// URL".into(),
        })?;
        let connect_options = session_options(parsed, options.statement_timeout);
        let target = describe_target(&connect_options);

        probe(&connect_options, options.connect_timeout, &target, options).await?;

        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            // Idle sessions are closed so a quiet monitor does not pin server slots.
            .idle_timeout(Duration::from_secs(120))
            // Pings a pooled connection before use: after a server restart the dead one is
            // dropped and a new one opened instead of failing the next query.
            .test_before_acquire(true)
            .connect_lazy_with(connect_options.clone());
        Ok(Queue {
            pool: InstrumentedPool::new("monitor", "postgres", pool),
            connect_options,
            options: options.clone(),
            target,
        })
    }

    /// A connection from the pool, every failure sorted into a [`QueueError`].
    pub async fn conn(&self) -> Result<PoolConnection<Postgres>, QueueError> {
        match self.pool.acquire().await {
            Ok(conn) => Ok(conn),
            Err(AcquireError::TimedOut(waited)) => Err(self.diagnose_acquire_timeout(waited).await),
            Err(AcquireError::Closed) => Err(QueueError::Unreachable {
                target: self.target.clone(),
                reason: "the connection pool is closed".into(),
            }),
            Err(AcquireError::Other(e)) => Err(self.classify(&e)),
        }
    }

    /// Sort a sqlx error from a query on this queue, and count it on the pool.
    pub fn classify(&self, err: &sqlx::Error) -> QueueError {
        self.pool.record_error();
        classify(err, &self.target, self.options.statement_timeout)
    }

    /// The pool waited its whole timeout: either the server is down (sqlx kept retrying a
    /// refused connection) or every connection is busy. A direct connection tells which.
    async fn diagnose_acquire_timeout(&self, waited: Duration) -> QueueError {
        let probe_timeout = DIAGNOSIS_PROBE_TIMEOUT.min(self.options.connect_timeout);
        match probe(
            &self.connect_options,
            probe_timeout,
            &self.target,
            &self.options,
        )
        .await
        {
            Err(err) => err,
            Ok(()) => QueueError::Timeout {
                after: waited,
                what: format!(
                    "all {} connections stayed busy",
                    self.pool.inner().options().get_max_connections()
                ),
            },
        }
    }
}

/// The session every monitor connection gets: named, read-only by default, time-bounded.
fn session_options(base: PgConnectOptions, statement_timeout: Duration) -> PgConnectOptions {
    let timeout_ms = statement_timeout.as_millis().max(1);
    base.application_name(APPLICATION_NAME).options([
        ("default_transaction_read_only", "on".to_string()),
        ("statement_timeout", format!("{timeout_ms}ms")),
    ])
}

/// `host:port/database` (or the socket directory), never user or password.
fn describe_target(options: &PgConnectOptions) -> String {
    let host = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => options.get_host().to_string(),
    };
    let database = options.get_database().unwrap_or("(default database)");
    format!("{host}:{}/{database}", options.get_port())
}

/// Open and close one connection within `timeout`.
async fn probe(
    connect_options: &PgConnectOptions,
    timeout: Duration,
    target: &str,
    options: &QueueOptions,
) -> Result<(), QueueError> {
    match tokio::time::timeout(timeout, PgConnection::connect_with(connect_options)).await {
        Err(_) => Err(QueueError::Unreachable {
            target: target.to_string(),
            reason: format!("no answer within {} ms", timeout.as_millis()),
        }),
        Ok(Err(e)) => Err(classify(&e, target, options.statement_timeout)),
        Ok(Ok(conn)) => {
            // A failed goodbye does not make the server less reachable.
            let _ = conn.close().await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_read_only_named_and_time_bounded() {
        let base: PgConnectOptions = "postgresql://postgres@db.example:6543/dsa110_absurd"
            .parse()
            .unwrap();
        let opts = session_options(base, Duration::from_millis(1500));
        assert_eq!(opts.get_application_name(), Some(APPLICATION_NAME));
        let startup = opts.get_options().unwrap_or_default();
        assert!(
            startup.contains("-c default_transaction_read_only=on"),
            "{startup}"
        );
        assert!(startup.contains("-c statement_timeout=1500ms"), "{startup}");
    }

    #[test]
    fn the_target_never_shows_the_password() {
        let opts: PgConnectOptions = "postgresql://monitor:s3cret@db.example:6543/dsa110_absurd"
            .parse()
            .unwrap();
        let target = describe_target(&opts);
        assert_eq!(target, "db.example:6543/dsa110_absurd");
    }
}
