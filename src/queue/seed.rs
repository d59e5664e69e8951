//! Writing a queue for tests, the demo (`--with-postgres`) and the benchmark, through its own
//! writable connection. The monitor's [`Queue`](super::Queue) never writes.

use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use thiserror::Error;

/// The `absurd` schema as the pipeline creates it (tables and indexes).
pub const SCHEMA_SQL: &str = include_str!("../../migrations/postgres/0001_absurd.sql");

#[derive(Debug, Error)]
pub enum SeedError {
    #[error("cannot open a writable connection to the queue: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("writing the queue failed: {0}")]
    Write(#[source] sqlx::Error),
}

/// Create the `absurd` schema, tables and indexes (idempotent).
pub async fn apply_schema(url: &str) -> Result<(), SeedError> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(SeedError::Connect)?;
    conn.execute(sqlx::raw_sql(SCHEMA_SQL))
        .await
        .map_err(SeedError::Write)?;
    let _ = conn.close().await;
    Ok(())
}
