//! The demo database as the pipeline creates it: the documented schema, WAL mode and a 30 s
//! busy timeout, foreign keys unenforced, written through a writer pool of its own.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// The pipeline schema, exactly as the migrations file has it.
pub const PIPELINE_SQL: &str = include_str!("../../migrations/sqlite/0001_pipeline.sql");

/// The pipeline's separate alert store, `state/db/alerts.sqlite3` (`alert_history`).
pub const ALERTS_SQL: &str = include_str!("../../migrations/sqlite/alerts.sql");

/// Every table the facts page lists (the same list the monitor's summary reads), so tests can
/// check none is missing.
pub const PIPELINE_TABLES: &[&str] = &crate::db::summary::TABLES;

/// The pipeline's busy timeout: writers wait this long for the lock before `database is locked`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

fn writer_options(db: &Path) -> anyhow::Result<SqliteConnectOptions> {
    let url = format!("sqlite://{}", db.display());
    Ok(SqliteConnectOptions::from_str(&url)
        .with_context(|| format!("bad database path {}", db.display()))?
        .filename(db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(BUSY_TIMEOUT)
        // The pipeline's sqlite3 connections leave foreign keys off (facts §9), so its
        // declared references are not enforced; sqlx would turn them on.
        .foreign_keys(false))
}

/// A writer pool configured like the pipeline's (WAL, busy_timeout 30 s).
pub async fn open_writer(
    db: &Path,
    max_connections: u32,
    acquire_timeout: Duration,
) -> anyhow::Result<SqlitePool> {
    if let Some(parent) = db.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_with(writer_options(db)?)
        .await
        .with_context(|| format!("cannot open {} for writing", db.display()))
}

/// Create a new database file at `db` with the pipeline schema.
pub async fn create_schema(db: &Path) -> anyhow::Result<()> {
    let pool = open_writer(db, 1, Duration::from_secs(10)).await?;
    let result = sqlx::raw_sql(PIPELINE_SQL)
        .execute(&pool)
        .await
        .with_context(|| format!("cannot create the pipeline schema in {}", db.display()));
    pool.close().await;
    result.map(|_| ())
}
