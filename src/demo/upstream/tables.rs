//! Real-shape records: tables (being written; see `mod.rs`).

use sqlx::SqlitePool;

use super::UpstreamFixture;

pub async fn write(_pool: &SqlitePool, _fx: &UpstreamFixture) -> anyhow::Result<()> {
    Ok(())
}
